/*
 * Minimal declarations for the QEMU TCG plugin API, version 1, as implemented
 * by QEMU 7.2 (which installs no qemu-plugin.h of its own).
 *
 * Only what libinsncount.so uses is declared. Written for convgen from the
 * API's documented semantics; the enum values were confirmed by experiment
 * against qemu-system-arm 7.2 (see README.md, "API check").
 *
 * ABI notes (QEMU 7.2):
 *   - the plugin must export `int qemu_plugin_version` equal to 1;
 *   - the plugin id is a 64-bit opaque handle;
 *   - instruction/memory callbacks receive the vCPU index and a user pointer;
 *   - memory-access information is packed into a 32-bit word that is only
 *     decoded through the qemu_plugin_mem_* accessors.
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

/* API revision this file describes. */
#define CONVGEN_QEMU_PLUGIN_API_VERSION 1

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

/* Opaque handles valid only inside the translation callback. */
struct qemu_plugin_tb;
struct qemu_plugin_insn;

/* What a callback may touch of the CPU registers (0 = nothing). */
enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS = 0,
    QEMU_PLUGIN_CB_R_REGS = 1,
    QEMU_PLUGIN_CB_RW_REGS = 2,
};

/* Which memory accesses a memory callback wants (bit mask: R=1, W=2). */
enum qemu_plugin_mem_rw {
    QEMU_PLUGIN_MEM_R = 1,
    QEMU_PLUGIN_MEM_W = 2,
    QEMU_PLUGIN_MEM_RW = 3,
};

/* Inline operations; version 1 has exactly one: *ptr += imm (64-bit). */
enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64 = 0,
};

typedef uint32_t qemu_plugin_meminfo_t;

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
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
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
                                                 size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags,
                                            void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
                                      qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw,
                                      void *userdata);
/* Declared for the README's bug demonstration (test/probe); not used by
 * libinsncount itself because it miscounts on QEMU 7.2. */
void qemu_plugin_register_vcpu_mem_inline(struct qemu_plugin_insn *insn,
                                          enum qemu_plugin_mem_rw rw,
                                          enum qemu_plugin_op op, void *ptr,
                                          uint64_t imm);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);

void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
                                    qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

#ifdef __cplusplus
}
#endif

#endif /* CONVGEN_QEMU_PLUGIN_API_H */
