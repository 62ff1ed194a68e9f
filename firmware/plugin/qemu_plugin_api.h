/*
 * Minimal declarations for the QEMU TCG plugin API, version 4, as offered by
 * qemu-system-arm 10.0 (Debian bookworm-backports), which installs no
 * qemu-plugin.h of its own.
 *
 * Only what convgen's plugins use is declared. Written for convgen from the
 * API's documented semantics (docs/devel/tcg-plugins.rst and the kernel-doc of
 * the public header); enum values and struct layouts were checked by
 * experiment (README.md, "API check").
 *
 * ABI notes (QEMU 10.0, API version 4):
 *   - the plugin exports `int qemu_plugin_version`, which must lie within
 *     [info->version.min, info->version.cur];
 *   - inline operations work on a scoreboard: one entry per vCPU, addressed
 *     as (scoreboard, byte offset) in a qemu_plugin_u64 passed by value;
 *   - register values are read into a glib GByteArray owned by the plugin,
 *     only from a callback registered with QEMU_PLUGIN_CB_R_REGS; the glib
 *     functions are resolved from the QEMU process at dlopen() time, so the
 *     plugin does not link glib itself.
 */
#ifndef CONVGEN_QEMU_PLUGIN_API_H
#define CONVGEN_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CONVGEN_PLUGIN_EXPORT __attribute__((visibility("default")))

/* API revision this file describes (QEMU 10.0). */
#define CONVGEN_QEMU_PLUGIN_API_VERSION 4

typedef uint64_t qemu_plugin_id_t;

/* Describes the running QEMU; handed to qemu_plugin_install. */
typedef struct qemu_info_t {
    const char *target_name;      /* e.g. "arm" */
    struct {
        int min;                  /* oldest plugin API version accepted */
        int cur;                  /* newest plugin API version offered  */
    } version;
    bool system_emulation;        /* true for qemu-system-* */
    union {
        struct {
            int smp_vcpus;        /* vCPUs at start-up */
            int max_vcpus;
        } system;
    };
} qemu_info_t;

/* Opaque handles. tb and insn are valid only inside the translation callback. */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_plugin_scoreboard;
struct qemu_plugin_register;

/* One uint64_t inside each vCPU's scoreboard entry. */
typedef struct {
    struct qemu_plugin_scoreboard *score;
    size_t offset;
} qemu_plugin_u64;

/* What a callback may touch of the CPU registers. */
enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS = 0,
    QEMU_PLUGIN_CB_R_REGS = 1,
    QEMU_PLUGIN_CB_RW_REGS = 2,
};

/* Which memory accesses a memory callback wants (bit mask). */
enum qemu_plugin_mem_rw {
    QEMU_PLUGIN_MEM_R = 1,
    QEMU_PLUGIN_MEM_W = 2,
    QEMU_PLUGIN_MEM_RW = 3,
};

/* Inline operations on a scoreboard entry. */
enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64 = 0,   /* entry += imm */
    QEMU_PLUGIN_INLINE_STORE_U64 = 1, /* entry = imm  */
};

/* Conditions of the conditional callbacks: call if (entry <cond> imm). */
enum qemu_plugin_cond {
    QEMU_PLUGIN_COND_NEVER = 0,
    QEMU_PLUGIN_COND_ALWAYS = 1,
    QEMU_PLUGIN_COND_EQ = 2,
    QEMU_PLUGIN_COND_NE = 3,
    QEMU_PLUGIN_COND_LT = 4,
    QEMU_PLUGIN_COND_LE = 5,
    QEMU_PLUGIN_COND_GT = 6,
    QEMU_PLUGIN_COND_GE = 7,
};

typedef uint32_t qemu_plugin_meminfo_t;

/* glib's public array headers (the rest of each struct is private to glib). */
typedef struct {
    char *data;
    unsigned int len;
} GArray;
typedef struct {
    uint8_t *data;
    unsigned int len;
} GByteArray;

/* One element of the GArray that qemu_plugin_get_registers returns. */
typedef struct {
    struct qemu_plugin_register *handle;
    const char *name;             /* gdb's name: "r0", "sp", "cpsr", "xpsr" */
    const char *feature;          /* gdb feature, may be NULL */
} qemu_plugin_reg_descriptor;

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_simple_cb_t)(qemu_plugin_id_t id,
                                             unsigned int vcpu_index);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
                                            void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
                                               struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index,
                                          qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);

/* Exported by the plugin. */
extern CONVGEN_PLUGIN_EXPORT int qemu_plugin_version;
CONVGEN_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                              const qemu_info_t *info,
                                              int argc, char **argv);

/* Provided by QEMU (resolved when QEMU dlopen()s the plugin). */
void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id,
                                       qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
                                    qemu_plugin_udata_cb_t cb, void *userdata);

size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
                                                 size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
/* Copies up to len bytes of the instruction's encoding; returns the number copied. */
size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest, size_t len);

void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags,
                                            void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cond_cb(struct qemu_plugin_insn *insn,
                                                 qemu_plugin_vcpu_udata_cb_t cb,
                                                 enum qemu_plugin_cb_flags flags,
                                                 enum qemu_plugin_cond cond,
                                                 qemu_plugin_u64 entry,
                                                 uint64_t imm, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(
    struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
    qemu_plugin_u64 entry, uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
                                      qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw,
                                      void *userdata);
void qemu_plugin_register_vcpu_mem_inline_per_vcpu(
    struct qemu_plugin_insn *insn, enum qemu_plugin_mem_rw rw,
    enum qemu_plugin_op op, qemu_plugin_u64 entry, uint64_t imm);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
/* log2 of the access size in bytes */
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);

struct qemu_plugin_scoreboard *qemu_plugin_scoreboard_new(size_t element_size);
void *qemu_plugin_scoreboard_find(struct qemu_plugin_scoreboard *score,
                                  unsigned int vcpu_index);
uint64_t qemu_plugin_u64_get(qemu_plugin_u64 entry, unsigned int vcpu_index);
void qemu_plugin_u64_set(qemu_plugin_u64 entry, unsigned int vcpu_index,
                         uint64_t val);
void qemu_plugin_u64_add(qemu_plugin_u64 entry, unsigned int vcpu_index,
                         uint64_t added);

/* Call from a vCPU context (the vcpu_init callback). Caller frees the array. */
GArray *qemu_plugin_get_registers(void);
/* Appends the register's bytes (target order) to buf; returns their number,
 * or -1. Only inside a callback registered with QEMU_PLUGIN_CB_R_REGS. */
int qemu_plugin_read_register(struct qemu_plugin_register *handle,
                              GByteArray *buf);

/* glib, from the QEMU process. */
GByteArray *g_byte_array_new(void);
GByteArray *g_byte_array_set_size(GByteArray *array, unsigned int length);
char *g_array_free(GArray *array, int free_segment);

#ifdef __cplusplus
}
#endif

#endif /* CONVGEN_QEMU_PLUGIN_API_H */
