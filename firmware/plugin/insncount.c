/*
 * libinsncount.so - convgen's QEMU TCG plugin (plugin API v1, QEMU 7.2).
 *
 *   -plugin libinsncount.so,begin=HEX,end=HEX[,out=FILE]
 *
 * Counts, for every "window" between entering the begin marker and entering
 * the end marker, the guest instructions executed, the load and store
 * accesses, and the instructions that made at least one access. Writes
 * {"calls":[{"insns":N,"loads":N,"stores":N,"memInsns":N},...]} at exit.
 *
 * How (see README.md for the exact inclusion rules):
 *   - every translated instruction except the two marker entry instructions
 *     gets an inline "g_insns += 1" (executed before the instruction);
 *   - the marker entry instructions get a plain exec callback instead, which
 *     first snapshots all counters and then does g_insns += 1 itself, so the
 *     order between snapshot and increment does not depend on QEMU's
 *     internal ordering of inline ops and callbacks;
 *   - every instruction gets one combined read/write memory callback that
 *     classifies each access with qemu_plugin_mem_is_store (per-direction
 *     inline memory counters miscount in QEMU 7.2);
 *   - a window's figures are snapshot(end) - snapshot(begin).
 */
#include "qemu_plugin_api.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CONVGEN_PLUGIN_EXPORT int qemu_plugin_version = CONVGEN_QEMU_PLUGIN_API_VERSION;

typedef struct {
    uint64_t insns;
    uint64_t loads;
    uint64_t stores;
    uint64_t mem_insns;
} counters_t;

/* Global running counters (single vCPU assumed; see README). */
static uint64_t g_insns;     /* bumped inline before every instruction */
static uint64_t g_loads;
static uint64_t g_stores;
static uint64_t g_mem_insns;
static uint64_t g_last_mem_seq; /* g_insns value of the last accessing insn */

static uint64_t g_begin_addr;
static uint64_t g_end_addr;
static char *g_out_path;

/* Window bookkeeping; touched only from the two marker callbacks and atexit. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static counters_t g_open_snap;
static int g_window_open;
static counters_t *g_calls;
static size_t g_n_calls;
static size_t g_cap_calls;
static uint64_t g_begin_while_open; /* begin reached again before end */
static uint64_t g_end_without_begin;
static int g_alloc_failed;

static counters_t snapshot(void)
{
    counters_t c = { g_insns, g_loads, g_stores, g_mem_insns };
    return c;
}

static void on_begin(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    pthread_mutex_lock(&g_lock);
    if (g_window_open) {
        g_begin_while_open++; /* restart the window at the latest begin */
    }
    g_open_snap = snapshot();
    g_window_open = 1;
    pthread_mutex_unlock(&g_lock);
    g_insns++; /* this marker instruction itself: inside the window */
}

static void on_end(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    pthread_mutex_lock(&g_lock);
    if (!g_window_open) {
        g_end_without_begin++;
    } else {
        counters_t now = snapshot();
        if (g_n_calls == g_cap_calls) {
            size_t cap = g_cap_calls ? g_cap_calls * 2 : 64;
            counters_t *p = realloc(g_calls, cap * sizeof(*p));
            if (p == NULL) {
                g_alloc_failed = 1;
            } else {
                g_calls = p;
                g_cap_calls = cap;
            }
        }
        if (g_n_calls < g_cap_calls) {
            counters_t *c = &g_calls[g_n_calls++];
            c->insns = now.insns - g_open_snap.insns;
            c->loads = now.loads - g_open_snap.loads;
            c->stores = now.stores - g_open_snap.stores;
            c->mem_insns = now.mem_insns - g_open_snap.mem_insns;
        }
        g_window_open = 0;
    }
    pthread_mutex_unlock(&g_lock);
    g_insns++; /* this marker instruction itself: outside the window */
}

static void on_mem(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                   uint64_t vaddr, void *userdata)
{
    (void)vcpu_index;
    (void)vaddr;
    (void)userdata;
    if (qemu_plugin_mem_is_store(info)) {
        g_stores++;
    } else {
        g_loads++;
    }
    /* g_insns was bumped before this instruction ran, so its value identifies
     * the current instruction execution: count it once. */
    if (g_last_mem_seq != g_insns) {
        g_last_mem_seq = g_insns;
        g_mem_insns++;
    }
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t va = qemu_plugin_insn_vaddr(insn);
        if (va == g_begin_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin,
                                                   QEMU_PLUGIN_CB_NO_REGS, NULL);
        } else if (va == g_end_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end,
                                                   QEMU_PLUGIN_CB_NO_REGS, NULL);
        } else {
            qemu_plugin_register_vcpu_insn_exec_inline(
                insn, QEMU_PLUGIN_INLINE_ADD_U64, &g_insns, 1);
        }
        qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS,
                                         QEMU_PLUGIN_MEM_RW, NULL);
    }
}

static void write_json(FILE *f)
{
    fputs("{\"calls\":[", f);
    for (size_t i = 0; i < g_n_calls; i++) {
        const counters_t *c = &g_calls[i];
        fprintf(f,
                "%s{\"insns\":%" PRIu64 ",\"loads\":%" PRIu64
                ",\"stores\":%" PRIu64 ",\"memInsns\":%" PRIu64 "}",
                i ? "," : "", c->insns, c->loads, c->stores, c->mem_insns);
    }
    fputs("]}\n", f);
}

static void on_exit_cb(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    pthread_mutex_lock(&g_lock);
    if (g_window_open) {
        fprintf(stderr, "insncount: warning: window still open at exit "
                        "(begin reached, end not); not reported\n");
    }
    if (g_begin_while_open) {
        fprintf(stderr, "insncount: warning: begin reached %" PRIu64
                        " time(s) while a window was open\n",
                g_begin_while_open);
    }
    if (g_end_without_begin) {
        fprintf(stderr, "insncount: warning: end reached %" PRIu64
                        " time(s) without an open window\n",
                g_end_without_begin);
    }
    if (g_alloc_failed) {
        fprintf(stderr, "insncount: warning: out of memory; calls dropped\n");
    }
    if (g_out_path) {
        FILE *f = fopen(g_out_path, "w");
        if (f == NULL) {
            fprintf(stderr, "insncount: cannot write %s: %s\n", g_out_path,
                    strerror(errno));
        } else {
            write_json(f);
            if (fclose(f) != 0) {
                fprintf(stderr, "insncount: error writing %s: %s\n",
                        g_out_path, strerror(errno));
            }
        }
    } else {
        write_json(stderr);
    }
    fflush(stderr);
    pthread_mutex_unlock(&g_lock);
}

/* Parses a hexadecimal address ("0x" optional, as nm prints it). */
static int parse_hex(const char *s, uint64_t *out)
{
    char *endp;
    if (*s == '\0' || *s == '-' || *s == '+') {
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &endp, 16);
    if (errno != 0 || *endp != '\0') {
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

CONVGEN_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                              const qemu_info_t *info,
                                              int argc, char **argv)
{
    int have_begin = 0, have_end = 0;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "begin=", 6) == 0 && parse_hex(a + 6, &g_begin_addr) == 0) {
            have_begin = 1;
        } else if (strncmp(a, "end=", 4) == 0 && parse_hex(a + 4, &g_end_addr) == 0) {
            have_end = 1;
        } else if (strncmp(a, "out=", 4) == 0 && a[4] != '\0') {
            free(g_out_path);
            g_out_path = strdup(a + 4);
            if (g_out_path == NULL) {
                return -1;
            }
        } else {
            fprintf(stderr, "insncount: bad argument '%s' (expected "
                            "begin=HEX,end=HEX[,out=FILE])\n", a);
            return -1;
        }
    }
    if (!have_begin || !have_end) {
        fprintf(stderr, "insncount: begin=HEX and end=HEX are required\n");
        return -1;
    }
    /* Thumb symbols carry bit 0; instruction addresses never do. */
    g_begin_addr &= ~(uint64_t)1;
    g_end_addr &= ~(uint64_t)1;
    if (g_begin_addr == g_end_addr) {
        fprintf(stderr, "insncount: begin and end must differ\n");
        return -1;
    }
    if (info != NULL && info->system_emulation && info->system.smp_vcpus > 1) {
        fprintf(stderr, "insncount: warning: %d vCPUs; counters are shared, "
                        "figures are exact only if one vCPU runs\n",
                info->system.smp_vcpus);
    }

    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
