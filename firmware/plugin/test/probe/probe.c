/* API check plugin (not part of the product). For each instruction in
 * [lo, hi) it registers:
 *   - one combined read/write memory callback (classifies with is_store) and
 *     one read-only and one write-only callback (checks the R/W filter that
 *     QEMU 7.2 got wrong),
 *   - inline memory counters for R and for W on a scoreboard,
 *   - an inline instruction counter and an exec callback (their order),
 *   - and it lists the vCPU's registers as qemu_plugin_get_registers names
 *     them (the plugin reads r0-r15 and cpsr/xpsr by these names).
 * Prints qemu_info_t and all totals at exit. Args: lo=HEX,hi=HEX */
#include "../../qemu_plugin_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CONVGEN_PLUGIN_EXPORT int qemu_plugin_version = CONVGEN_QEMU_PLUGIN_API_VERSION;

static uint64_t lo, hi;
static uint64_t cb_loads, cb_stores;          /* combined RW callback      */
static uint64_t r_cb_loads, r_cb_stores;      /* callback registered as R  */
static uint64_t w_cb_loads, w_cb_stores;      /* callback registered as W  */
static uint64_t cb_insns;
static uint64_t order_cb_first, order_inline_first;
static struct qemu_plugin_scoreboard *board;  /* insns, inline R, inline W */
static qemu_plugin_u64 inl_insns, inl_r, inl_w;

static void mem_rw(unsigned int v, qemu_plugin_meminfo_t i, uint64_t a, void *u)
{ (void)v; (void)a; (void)u; if (qemu_plugin_mem_is_store(i)) cb_stores++; else cb_loads++; }
static void mem_r(unsigned int v, qemu_plugin_meminfo_t i, uint64_t a, void *u)
{ (void)v; (void)a; (void)u; if (qemu_plugin_mem_is_store(i)) r_cb_stores++; else r_cb_loads++; }
static void mem_w(unsigned int v, qemu_plugin_meminfo_t i, uint64_t a, void *u)
{ (void)v; (void)a; (void)u; if (qemu_plugin_mem_is_store(i)) w_cb_stores++; else w_cb_loads++; }

static void exec_cb(unsigned int v, void *u)
{
    (void)u;
    /* inline count == callback count -> this callback ran before the inline add */
    if (qemu_plugin_u64_get(inl_insns, v) == cb_insns) order_cb_first++; else order_inline_first++;
    cb_insns++;
}

static void trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t k = 0; k < qemu_plugin_tb_n_insns(tb); k++) {
        struct qemu_plugin_insn *in = qemu_plugin_tb_get_insn(tb, k);
        uint64_t va = qemu_plugin_insn_vaddr(in);
        if (va < lo || va >= hi) continue;
        qemu_plugin_register_vcpu_insn_exec_cb(in, exec_cb, QEMU_PLUGIN_CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(in, QEMU_PLUGIN_INLINE_ADD_U64, inl_insns, 1);
        qemu_plugin_register_vcpu_mem_cb(in, mem_rw, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
        qemu_plugin_register_vcpu_mem_cb(in, mem_r, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_R, NULL);
        qemu_plugin_register_vcpu_mem_cb(in, mem_w, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W, NULL);
        qemu_plugin_register_vcpu_mem_inline_per_vcpu(in, QEMU_PLUGIN_MEM_R, QEMU_PLUGIN_INLINE_ADD_U64, inl_r, 1);
        qemu_plugin_register_vcpu_mem_inline_per_vcpu(in, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_INLINE_ADD_U64, inl_w, 1);
    }
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
    (void)id;
    if (vcpu != 0) return;
    GArray *regs = qemu_plugin_get_registers();
    const qemu_plugin_reg_descriptor *d = (const qemu_plugin_reg_descriptor *)regs->data;
    fprintf(stderr, "probe: %u registers:", regs->len);
    for (unsigned int i = 0; i < regs->len && i < 24; i++) fprintf(stderr, " %s", d[i].name);
    fprintf(stderr, "%s\n", regs->len > 24 ? " ..." : "");
    g_array_free(regs, 1);
}

static void at_exit(qemu_plugin_id_t id, void *u)
{
    (void)id; (void)u;
    fprintf(stderr,
            "probe: insns inline=%" PRIu64 " cb=%" PRIu64 " (cb ran first %" PRIu64
            "x, inline first %" PRIu64 "x)\n"
            "probe: RW-callback loads=%" PRIu64 " stores=%" PRIu64 "\n"
            "probe: R-callback  loads=%" PRIu64 " stores=%" PRIu64 "\n"
            "probe: W-callback  loads=%" PRIu64 " stores=%" PRIu64 "\n"
            "probe: inline R=%" PRIu64 " inline W=%" PRIu64 "\n",
            qemu_plugin_u64_get(inl_insns, 0), cb_insns, order_cb_first, order_inline_first,
            cb_loads, cb_stores, r_cb_loads, r_cb_stores, w_cb_loads, w_cb_stores,
            qemu_plugin_u64_get(inl_r, 0), qemu_plugin_u64_get(inl_w, 0));
}

CONVGEN_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                              int argc, char **argv)
{
    for (int k = 0; k < argc; k++) {
        if (!strncmp(argv[k], "lo=", 3)) lo = strtoull(argv[k] + 3, NULL, 16) & ~1ull;
        else if (!strncmp(argv[k], "hi=", 3)) hi = strtoull(argv[k] + 3, NULL, 16) & ~1ull;
    }
    fprintf(stderr, "probe: target=%s version min=%d cur=%d system=%d smp_vcpus=%d max_vcpus=%d\n",
            info->target_name, info->version.min, info->version.cur,
            info->system_emulation, info->system.smp_vcpus, info->system.max_vcpus);
    board = qemu_plugin_scoreboard_new(3 * sizeof(uint64_t));
    inl_insns.score = inl_r.score = inl_w.score = board;
    inl_insns.offset = 0;
    inl_r.offset = sizeof(uint64_t);
    inl_w.offset = 2 * sizeof(uint64_t);
    qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
