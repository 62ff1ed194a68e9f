/*
 * libinsncount.so - convgen's QEMU TCG plugin (plugin API v4, QEMU 10.0).
 *
 *   -plugin libinsncount.so,begin=HEX,end=HEX[,out=FILE][,profile=FILE][,watch=FILE]
 *
 * Counts, for every "window" between entering the begin marker and entering
 * the end marker, the guest instructions executed, the load and store
 * accesses, and the instructions that made at least one access. Writes
 * {"calls":[{"insns":N,"loads":N,"stores":N,"memInsns":N},...]} at exit.
 *
 * With profile=FILE it also writes, per window, what the cycle models of
 * src/cycles need and cannot recompute from the code alone: how often each
 * instruction address ran, how often it left the straight line (a taken
 * branch) or was entered from elsewhere, and, for the addresses listed in
 * the watch file, how often their condition passed and how many significant
 * bytes their multiply operands had (read from the registers).
 *
 * How (see README.md for the exact inclusion rules):
 *   - every instruction address gets a slot; every translated instruction
 *     except the two marker entries gets an inline "slot.count += 1" on a
 *     scoreboard (executed before the instruction); a window's instruction
 *     count is the sum of its slots' increments;
 *   - the marker entries get a plain callback instead, which snapshots all
 *     counters and then counts the marker itself, so the order of snapshot
 *     and increment never depends on QEMU's ordering of inline ops;
 *   - the last instruction of a translation block stores its fall-through
 *     address and its slot inline; the first instruction of the next block
 *     calls back only if it is not that fall-through (a conditional
 *     callback), which counts a taken branch for the one and an entry for
 *     the other;
 *   - one read/write memory callback per instruction classifies each access
 *     with qemu_plugin_mem_is_store;
 *   - watched instructions get a callback with register access: it
 *     evaluates the instruction's condition on the N, Z, C, V flags and
 *     classifies the named operand registers.
 */
#include "qemu_plugin_api.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CONVGEN_PLUGIN_EXPORT int qemu_plugin_version = CONVGEN_QEMU_PLUGIN_API_VERSION;

#define COND_ALWAYS 14
/* Operand classes: 4 signed x 4 signed, then 4 unsigned x 4 unsigned. */
#define HIST_BINS 32
#define CHUNK 4096

typedef struct slot {
    uint64_t pc;
    uint32_t id;
    uint32_t size;      /* bytes of the instruction (2 or 4) */
    int8_t cond;        /* watched: condition code, COND_ALWAYS if none */
    int8_t ra, rb;      /* watched: operand registers, -1 if none */
    uint8_t watched;
    uint8_t pair;       /* LDRD/STRD: an 8-byte access moves two words */
    qemu_plugin_u64 count; /* executions, in a scoreboard chunk */
    const uint64_t *countp; /* the same for vCPU 0, read directly (one vCPU) */
    uint64_t taken;     /* left for somewhere other than pc+size */
    uint64_t entered;   /* reached from somewhere other than pc-size */
    uint64_t pass;      /* watched: condition passed */
    uint64_t *hist;     /* watched with registers: HIST_BINS, then a snapshot */
    /* snapshot at the open window's begin */
    uint64_t s_count, s_taken, s_entered, s_pass;
} slot_t;

typedef struct {
    uint64_t insns, loads, stores, mem_insns;
} counters_t;

typedef struct {
    uint64_t pc, n, taken, entered, pass;
    int watched;
    uint64_t hist[HIST_BINS];
} prof_rec_t;

typedef struct {
    prof_rec_t *recs;
    size_t n;
} window_prof_t;

typedef struct {
    uint64_t pc;
    int8_t cond, ra, rb;
} watch_t;

/* ---- slots: chunked so that they never move (inline ops hold offsets) ---- */
static slot_t **g_chunks;
static struct qemu_plugin_scoreboard **g_boards;
static uint64_t **g_board_mem; /* vCPU 0's entry of each chunk's scoreboard */
static size_t g_nchunks;
static uint32_t g_nslots;
static uint32_t *g_hash;     /* slot id + 1, 0 = empty; open addressing */
static size_t g_hash_cap;

/* fall-through address and slot of the last instruction of the block just run */
static struct qemu_plugin_scoreboard *g_flow_board;
static qemu_plugin_u64 g_flow_next;
static qemu_plugin_u64 g_flow_from;

static uint64_t g_loads, g_stores, g_mem_insns;
static const slot_t *g_last_mem_slot;
static uint64_t g_last_mem_count;

static uint64_t g_begin_addr, g_end_addr;
static char *g_out_path, *g_profile_path;
static watch_t *g_watch;
static size_t g_nwatch;

/* registers, by number (0-15) and the status register */
static struct qemu_plugin_register *g_regs[16];
static struct qemu_plugin_register *g_psr;
static GByteArray *g_regbuf;
static int g_missing_reg;

/* Window bookkeeping; touched only from the marker callbacks and atexit. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static counters_t g_open_snap;
static int g_window_open;
static counters_t *g_calls;
static window_prof_t *g_profs;
static size_t g_n_calls, g_cap_calls;
static uint64_t g_begin_while_open, g_end_without_begin;
static int g_alloc_failed;

static slot_t *slot_at(uint32_t id) { return &g_chunks[id / CHUNK][id % CHUNK]; }

static size_t hash_pc(uint64_t pc, size_t cap)
{
    return (size_t)((pc >> 1) * 0x9E3779B97F4A7C15ull) & (cap - 1);
}

static const watch_t *find_watch(uint64_t pc)
{
    size_t lo = 0, hi = g_nwatch;
    while (lo < hi) { /* g_watch is sorted by pc */
        size_t mid = (lo + hi) / 2;
        if (g_watch[mid].pc < pc) lo = mid + 1; else hi = mid;
    }
    return lo < g_nwatch && g_watch[lo].pc == pc ? &g_watch[lo] : NULL;
}

static int hash_grow(void)
{
    size_t cap = g_hash_cap ? g_hash_cap * 2 : 8192;
    uint32_t *h = calloc(cap, sizeof(*h));
    if (h == NULL) return -1;
    for (uint32_t id = 0; id < g_nslots; id++) {
        size_t i = hash_pc(slot_at(id)->pc, cap);
        while (h[i]) i = (i + 1) & (cap - 1);
        h[i] = id + 1;
    }
    free(g_hash);
    g_hash = h;
    g_hash_cap = cap;
    return 0;
}

/* The slot of an instruction address, created on first translation. */
static slot_t *slot_for(uint64_t pc, uint32_t size)
{
    if (g_hash_cap) {
        for (size_t i = hash_pc(pc, g_hash_cap); g_hash[i]; i = (i + 1) & (g_hash_cap - 1)) {
            slot_t *s = slot_at(g_hash[i] - 1);
            if (s->pc == pc) return s;
        }
    }
    if ((g_nslots + 1) * 2 > g_hash_cap && hash_grow() != 0) return NULL;
    if (g_nslots / CHUNK == g_nchunks) {
        slot_t **c = realloc(g_chunks, (g_nchunks + 1) * sizeof(*c));
        struct qemu_plugin_scoreboard **b = realloc(g_boards, (g_nchunks + 1) * sizeof(*b));
        uint64_t **m = realloc(g_board_mem, (g_nchunks + 1) * sizeof(*m));
        if (c) g_chunks = c;
        if (b) g_boards = b;
        if (m) g_board_mem = m;
        if (c == NULL || b == NULL || m == NULL) return NULL;
        g_chunks[g_nchunks] = calloc(CHUNK, sizeof(slot_t));
        if (g_chunks[g_nchunks] == NULL) return NULL;
        g_boards[g_nchunks] = qemu_plugin_scoreboard_new(CHUNK * sizeof(uint64_t));
        /* A scoreboard moves only when vCPUs are added; the machines convgen uses have one. */
        g_board_mem[g_nchunks] = qemu_plugin_scoreboard_find(g_boards[g_nchunks], 0);
        g_nchunks++;
    }
    uint32_t id = g_nslots++;
    slot_t *s = slot_at(id);
    s->pc = pc;
    s->id = id;
    s->size = size;
    s->count.score = g_boards[id / CHUNK];
    s->count.offset = (id % CHUNK) * sizeof(uint64_t);
    s->countp = g_board_mem[id / CHUNK] + id % CHUNK;
    s->cond = COND_ALWAYS;
    s->ra = s->rb = -1;
    const watch_t *w = find_watch(pc);
    if (w) {
        s->watched = 1;
        s->cond = w->cond;
        s->ra = w->ra;
        s->rb = w->rb;
        if (s->ra >= 0) {
            s->hist = calloc(2 * HIST_BINS, sizeof(uint64_t));
            if (s->hist == NULL) return NULL;
        }
    }
    size_t i = hash_pc(pc, g_hash_cap);
    while (g_hash[i]) i = (i + 1) & (g_hash_cap - 1);
    g_hash[i] = id + 1;
    return s;
}

/* ---- windows ---- */

static void snapshot_slots(void)
{
    for (uint32_t id = 0; id < g_nslots; id++) {
        slot_t *s = slot_at(id);
        s->s_count = *s->countp;
        s->s_taken = s->taken;
        s->s_entered = s->entered;
        s->s_pass = s->pass;
        if (s->hist) memcpy(s->hist + HIST_BINS, s->hist, HIST_BINS * sizeof(uint64_t));
    }
}

static uint64_t total_insns(void)
{
    uint64_t t = 0;
    for (uint32_t id = 0; id < g_nslots; id++) t += *slot_at(id)->countp;
    return t;
}

static counters_t snapshot(void)
{
    counters_t c = { total_insns(), g_loads, g_stores, g_mem_insns };
    return c;
}

/* The slots' increments since the window opened (profile=FILE only). */
static window_prof_t window_profile(void)
{
    window_prof_t w = { NULL, 0 };
    size_t cap = 0;
    for (uint32_t id = 0; id < g_nslots; id++) {
        slot_t *s = slot_at(id);
        prof_rec_t r = { 0 };
        r.pc = s->pc;
        r.n = *s->countp - s->s_count;
        r.taken = s->taken - s->s_taken;
        r.entered = s->entered - s->s_entered;
        r.pass = s->pass - s->s_pass;
        r.watched = s->watched;
        if (s->hist)
            for (int b = 0; b < HIST_BINS; b++) r.hist[b] = s->hist[b] - s->hist[HIST_BINS + b];
        if (r.n == 0 && r.taken == 0 && r.entered == 0) continue;
        if (w.n == cap) {
            cap = cap ? cap * 2 : 256;
            prof_rec_t *p = realloc(w.recs, cap * sizeof(*p));
            if (p == NULL) {
                g_alloc_failed = 1;
                return w;
            }
            w.recs = p;
        }
        w.recs[w.n++] = r;
    }
    return w;
}

/* A jump into the first instruction of a block: the previous block's last
 * instruction was taken, this one was entered. */
static void note_jump(unsigned int vcpu, slot_t *to)
{
    slot_t *from = (slot_t *)(uintptr_t)qemu_plugin_u64_get(g_flow_from, vcpu);
    if (from != NULL) from->taken++;
    to->entered++;
}

static void set_flow(unsigned int vcpu, const slot_t *s)
{
    qemu_plugin_u64_set(g_flow_next, vcpu, s->pc + s->size);
    qemu_plugin_u64_set(g_flow_from, vcpu, (uint64_t)(uintptr_t)s);
}

static void on_jump(unsigned int vcpu, void *userdata)
{
    note_jump(vcpu, userdata);
}

/* A block of one instruction: check and store in one callback, so the order
 * of a conditional callback and inline stores on one instruction is moot. */
static void on_single(unsigned int vcpu, void *userdata)
{
    slot_t *s = userdata;
    if (qemu_plugin_u64_get(g_flow_next, vcpu) != s->pc) note_jump(vcpu, s);
    set_flow(vcpu, s);
}

typedef struct {
    int is_begin;
    int is_last;   /* last instruction of its block */
    slot_t *slot;
} marker_t;

static void open_window(void)
{
    if (g_window_open) g_begin_while_open++; /* restart at the latest begin */
    g_open_snap = snapshot();
    if (g_profile_path) snapshot_slots();
    g_window_open = 1;
}

static void close_window(void)
{
    if (!g_window_open) {
        g_end_without_begin++;
        return;
    }
    counters_t now = snapshot();
    if (g_n_calls == g_cap_calls) {
        size_t cap = g_cap_calls ? g_cap_calls * 2 : 64;
        counters_t *p = realloc(g_calls, cap * sizeof(*p));
        window_prof_t *q = realloc(g_profs, cap * sizeof(*q));
        if (p) g_calls = p;
        if (q) g_profs = q;
        if (p == NULL || q == NULL) g_alloc_failed = 1;
        else g_cap_calls = cap;
    }
    if (g_n_calls < g_cap_calls) {
        counters_t *c = &g_calls[g_n_calls];
        c->insns = now.insns - g_open_snap.insns;
        c->loads = now.loads - g_open_snap.loads;
        c->stores = now.stores - g_open_snap.stores;
        c->mem_insns = now.mem_insns - g_open_snap.mem_insns;
        window_prof_t none = { NULL, 0 };
        g_profs[g_n_calls] = g_profile_path ? window_profile() : none;
        g_n_calls++;
    }
    g_window_open = 0;
}

static void on_marker(unsigned int vcpu, void *userdata)
{
    marker_t *m = userdata;
    /* Reached by a call. The caller's taken branch is counted before the
     * snapshot and the marker's entry after it, so each falls on the side of
     * the window its instruction is on (the window holds begin's marker and
     * the call of end, not end's marker and the call of begin). */
    int jumped = qemu_plugin_u64_get(g_flow_next, vcpu) != m->slot->pc;
    slot_t *from = (slot_t *)(uintptr_t)qemu_plugin_u64_get(g_flow_from, vcpu);
    if (jumped && from != NULL) from->taken++;
    pthread_mutex_lock(&g_lock);
    if (m->is_begin) open_window(); else close_window();
    pthread_mutex_unlock(&g_lock);
    if (jumped) m->slot->entered++;
    qemu_plugin_u64_add(m->slot->count, vcpu, 1);
    if (m->is_last) set_flow(vcpu, m->slot);
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info,
                   uint64_t vaddr, void *userdata)
{
    (void)vaddr;
    const slot_t *s = userdata;
    /* QEMU 10 makes an aligned LDRD/STRD one 8-byte access; count it as the
     * two word transfers QEMU 7.2 reported. Other 8-byte accesses (VLDR of a
     * D register, NEON) count once, as they always did. */
    uint64_t n = s->pair && qemu_plugin_mem_size_shift(info) == 3 ? 2 : 1;
    if (qemu_plugin_mem_is_store(info)) g_stores += n; else g_loads += n;
    /* The slot's count was bumped before this instruction ran, so (slot,
     * count) identifies the instruction execution: count it once. */
    (void)vcpu;
    uint64_t c = *s->countp;
    if (s != g_last_mem_slot || c != g_last_mem_count) {
        g_last_mem_slot = s;
        g_last_mem_count = c;
        g_mem_insns++;
    }
}

static int read_u32(struct qemu_plugin_register *r, uint32_t *v)
{
    if (r == NULL) return -1;
    g_byte_array_set_size(g_regbuf, 0);
    if (qemu_plugin_read_register(r, g_regbuf) < 4 || g_regbuf->len < 4) return -1;
    const uint8_t *d = g_regbuf->data; /* little-endian guest */
    *v = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
    return 0;
}

/* ARM condition codes 0-13 on the N, Z, C, V flags (bits 31-28). */
static int cond_holds(int cond, uint32_t psr)
{
    int n = psr >> 31 & 1, z = psr >> 30 & 1, c = psr >> 29 & 1, v = psr >> 28 & 1;
    switch (cond) {
    case 0: return z;
    case 1: return !z;
    case 2: return c;
    case 3: return !c;
    case 4: return n;
    case 5: return !n;
    case 6: return v;
    case 7: return !v;
    case 8: return c && !z;
    case 9: return !c || z;
    case 10: return n == v;
    case 11: return n != v;
    case 12: return !z && n == v;
    case 13: return z || n != v;
    default: return 1;
    }
}

/* Smallest k in 1..4 with bits [31:8k] all zero or all one (signed), or all
 * zero (unsigned): the ARM multipliers' early-termination classes. */
static int class_signed(uint32_t v)
{
    int32_t s = (int32_t)v;
    for (int k = 1; k < 4; k++) {
        int32_t hi = s >> (8 * k); /* arithmetic shift (gcc) */
        if (hi == 0 || hi == -1) return k;
    }
    return 4;
}

static int class_unsigned(uint32_t v)
{
    for (int k = 1; k < 4; k++)
        if (v >> (8 * k) == 0) return k;
    return 4;
}

static void on_watch(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    slot_t *s = userdata;
    if (s->cond != COND_ALWAYS) {
        uint32_t psr;
        if (read_u32(g_psr, &psr) != 0) {
            g_missing_reg = 1;
            return;
        }
        if (!cond_holds(s->cond, psr)) return;
    }
    s->pass++;
    if (s->hist) {
        uint32_t a, b = 0;
        if (read_u32(g_regs[s->ra], &a) != 0 || (s->rb >= 0 && read_u32(g_regs[s->rb], &b) != 0)) {
            g_missing_reg = 1;
            return;
        }
        s->hist[(class_signed(a) - 1) * 4 + class_signed(b) - 1]++;
        s->hist[16 + (class_unsigned(a) - 1) * 4 + class_unsigned(b) - 1]++;
    }
}

/* LDRD/STRD by encoding: A32 `cccc 000x x1x0 .... .... .... 11x1 ....` (bit 20
 * clear, bits 7:4 1101 or 1111), or a T32 first halfword `1110 100x x1x1`
 * with P or W set. Neither pattern matches a VFP, NEON or MVE transfer. */
static int is_pair_transfer(const struct qemu_plugin_insn *insn)
{
    uint8_t b[4];
    if (qemu_plugin_insn_data(insn, b, sizeof b) != sizeof b) return 0;
    uint32_t w = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    uint32_t hw1 = w & 0xFFFF;
    return (w & 0x0E1000D0) == 0x000000D0 || ((hw1 & 0xFE40) == 0xE840 && (hw1 & 0x0120) != 0);
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t va = qemu_plugin_insn_vaddr(insn);
        slot_t *s = slot_for(va, (uint32_t)qemu_plugin_insn_size(insn));
        if (s == NULL) {
            g_alloc_failed = 1;
            continue;
        }
        int last = i + 1 == n;
        s->pair = is_pair_transfer(insn);
        if (va == g_begin_addr || va == g_end_addr) {
            static marker_t marks[2][2];
            marker_t *m = &marks[va == g_begin_addr][last];
            m->is_begin = va == g_begin_addr;
            m->is_last = last;
            m->slot = s;
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, m);
        } else {
            qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, s->count, 1);
            if (i == 0 && n == 1) {
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_single, QEMU_PLUGIN_CB_NO_REGS, s);
            } else if (i == 0) {
                qemu_plugin_register_vcpu_insn_exec_cond_cb(insn, on_jump, QEMU_PLUGIN_CB_NO_REGS,
                                                            QEMU_PLUGIN_COND_NE, g_flow_next, va, s);
            } else if (last) {
                qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_STORE_U64,
                                                                   g_flow_next, va + s->size);
                qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_STORE_U64,
                                                                   g_flow_from, (uint64_t)(uintptr_t)s);
            }
            if (s->watched)
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_watch, QEMU_PLUGIN_CB_R_REGS, s);
        }
        qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, s);
    }
}

static void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
    (void)id;
    if (vcpu != 0 || g_nwatch == 0) return;
    GArray *regs = qemu_plugin_get_registers();
    if (regs == NULL) return;
    const qemu_plugin_reg_descriptor *d = (const qemu_plugin_reg_descriptor *)regs->data;
    for (unsigned int i = 0; i < regs->len; i++) {
        const char *nm = d[i].name;
        int r = -1;
        if (nm[0] == 'r' && nm[1] >= '0' && nm[1] <= '9') r = atoi(nm + 1);
        else if (!strcmp(nm, "sp")) r = 13;
        else if (!strcmp(nm, "lr")) r = 14;
        else if (!strcmp(nm, "pc")) r = 15;
        else if (!strcmp(nm, "cpsr") || !strcmp(nm, "xpsr")) g_psr = d[i].handle;
        if (r >= 0 && r < 16 && g_regs[r] == NULL) g_regs[r] = d[i].handle;
    }
    g_array_free(regs, 1);
    g_regbuf = g_byte_array_new();
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

/* {"windows":[[{"pc":N,"n":N,"taken":N,"entered":N[,"pass":N[,"mul":[32]]]},...],...]} */
static void write_profile(FILE *f)
{
    fputs("{\"windows\":[", f);
    for (size_t i = 0; i < g_n_calls; i++) {
        fputs(i ? ",\n[" : "\n[", f);
        const window_prof_t *w = &g_profs[i];
        for (size_t k = 0; k < w->n; k++) {
            const prof_rec_t *r = &w->recs[k];
            fprintf(f, "%s{\"pc\":%" PRIu64 ",\"n\":%" PRIu64 ",\"taken\":%" PRIu64 ",\"entered\":%" PRIu64,
                    k ? ",\n" : "", r->pc, r->n, r->taken, r->entered);
            if (r->watched) fprintf(f, ",\"pass\":%" PRIu64, r->pass);
            int any = 0;
            for (int b = 0; b < HIST_BINS; b++) any |= r->hist[b] != 0;
            if (any) {
                fputs(",\"mul\":[", f);
                for (int b = 0; b < HIST_BINS; b++) fprintf(f, "%s%" PRIu64, b ? "," : "", r->hist[b]);
                fputc(']', f);
            }
            fputc('}', f);
        }
        fputc(']', f);
    }
    fputs("]}\n", f);
}

static void write_file(const char *path, void (*writer)(FILE *))
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "insncount: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    writer(f);
    if (fclose(f) != 0) fprintf(stderr, "insncount: error writing %s: %s\n", path, strerror(errno));
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
    if (g_alloc_failed) fprintf(stderr, "insncount: warning: out of memory; figures incomplete\n");
    if (g_missing_reg) fprintf(stderr, "insncount: warning: a watched register could not be read\n");
    if (g_out_path) write_file(g_out_path, write_json); else write_json(stderr);
    if (g_profile_path) write_file(g_profile_path, write_profile);
    fflush(stderr);
    pthread_mutex_unlock(&g_lock);
}

/* Parses a hexadecimal address ("0x" optional, as nm prints it). */
static int parse_hex(const char *s, uint64_t *out)
{
    char *endp;
    if (*s == '\0' || *s == '-' || *s == '+') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &endp, 16);
    if (errno != 0 || *endp != '\0') return -1;
    *out = (uint64_t)v;
    return 0;
}

static int cmp_watch(const void *a, const void *b)
{
    uint64_t x = ((const watch_t *)a)->pc, y = ((const watch_t *)b)->pc;
    return x < y ? -1 : x > y;
}

/* Watch file: one "PC COND RA RB" per line (PC hex; COND 0-14; RA, RB a
 * register number 0-15 or -1); '#' starts a comment. */
static int load_watch(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "insncount: cannot read watch file %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[256];
    size_t cap = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char pcs[64];
        int cond, ra, rb, used = 0;
        if (sscanf(line, " %63s%n", pcs, &used) != 1) continue;
        uint64_t pc;
        if (parse_hex(pcs, &pc) != 0 || sscanf(line + used, "%d %d %d", &cond, &ra, &rb) != 3 ||
            cond < 0 || cond > COND_ALWAYS || ra < -1 || ra > 15 || rb < -1 || rb > 15 || (ra < 0 && rb >= 0)) {
            fprintf(stderr, "insncount: %s:%zu: expected 'PC COND RA RB'\n", path, lineno);
            fclose(f);
            return -1;
        }
        if (g_nwatch == cap) {
            cap = cap ? cap * 2 : 256;
            watch_t *p = realloc(g_watch, cap * sizeof(*p));
            if (p == NULL) {
                fclose(f);
                return -1;
            }
            g_watch = p;
        }
        watch_t w = { pc & ~(uint64_t)1, (int8_t)cond, (int8_t)ra, (int8_t)rb };
        g_watch[g_nwatch++] = w;
    }
    fclose(f);
    qsort(g_watch, g_nwatch, sizeof(*g_watch), cmp_watch);
    return 0;
}

CONVGEN_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                              const qemu_info_t *info,
                                              int argc, char **argv)
{
    int have_begin = 0, have_end = 0;
    const char *watch = NULL;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "begin=", 6) == 0 && parse_hex(a + 6, &g_begin_addr) == 0) {
            have_begin = 1;
        } else if (strncmp(a, "end=", 4) == 0 && parse_hex(a + 4, &g_end_addr) == 0) {
            have_end = 1;
        } else if (strncmp(a, "out=", 4) == 0 && a[4] != '\0') {
            free(g_out_path);
            g_out_path = strdup(a + 4);
            if (g_out_path == NULL) return -1;
        } else if (strncmp(a, "profile=", 8) == 0 && a[8] != '\0') {
            free(g_profile_path);
            g_profile_path = strdup(a + 8);
            if (g_profile_path == NULL) return -1;
        } else if (strncmp(a, "watch=", 6) == 0 && a[6] != '\0') {
            watch = a + 6;
        } else {
            fprintf(stderr, "insncount: bad argument '%s' (expected begin=HEX,end=HEX"
                            "[,out=FILE][,profile=FILE][,watch=FILE])\n", a);
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
    if (watch != NULL && load_watch(watch) != 0) return -1;
    if (info != NULL && info->system_emulation && info->system.smp_vcpus > 1) {
        fprintf(stderr, "insncount: warning: %d vCPUs; counters are shared, "
                        "figures are exact only if one vCPU runs\n",
                info->system.smp_vcpus);
    }
    g_flow_board = qemu_plugin_scoreboard_new(2 * sizeof(uint64_t));
    g_flow_next.score = g_flow_board;
    g_flow_next.offset = 0;
    g_flow_from.score = g_flow_board;
    g_flow_from.offset = sizeof(uint64_t);

    qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
