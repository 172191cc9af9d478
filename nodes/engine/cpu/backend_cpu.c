/* backend_cpu.c: the CPU backend's table: arena allocation (host memory, so upload and
 * download are copies and synchronize has nothing to wait for), per-node prepare/run
 * dispatch, the shared oneDNN scratchpad and staging, the ISA, and thread control.
 *
 * Threads: oneDNN (OpenMP build) and our OpenMP loops follow omp_set_num_threads() of
 * the calling thread, set to the backend's count on entry to prepare() and run() (the
 * caller's thread may differ between calls); oneDNN's sgemm runs single-threaded inside
 * OpenMP loops in the attention (cpu_attention.c says why). */
#include <cpuid.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"

/* oneDNN's x86 instruction sets, in the order of what they can run. The order is partial
 * in one place: AVX2_VNNI (client cores) is neither below nor above the AVX-512 sets. */
static const struct {
    const char *name;
    dnnl_cpu_isa_t isa;
    int rank;
} isas[] = {
    {"sse41", dnnl_cpu_isa_sse41, 1},
    {"avx", dnnl_cpu_isa_avx, 2},
    {"avx2", dnnl_cpu_isa_avx2, 3},
    {"avx2_vnni", dnnl_cpu_isa_avx2_vnni, 4},
    {"avx512_core", dnnl_cpu_isa_avx512_core, 5},
    {"avx512_core_vnni", dnnl_cpu_isa_avx512_core_vnni, 6},
    {"avx512_core_bf16", dnnl_cpu_isa_avx512_core_bf16, 7},
    {"avx512_core_amx", dnnl_cpu_isa_avx512_core_amx, 8},
};
#define N_ISAS (sizeof isas / sizeof isas[0])

static int isa_index(const char *name)
{
    for (size_t i = 0; i < N_ISAS; i++)
        if (!strcmp(isas[i].name, name))
            return (int)i;
    return -1;
}

const char *fr_backend_cpu_isa(void)
{
    dnnl_cpu_isa_t now = dnnl_get_effective_cpu_isa();
    for (size_t i = 0; i < N_ISAS; i++)
        if (isas[i].isa == now)
            return isas[i].name;
    return "unknown";
}

/* cpuid leaf/subleaf registers; 0s where the leaf does not exist. */
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    if (leaf > (unsigned)__get_cpuid_max(0, NULL))
        return;
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

#define BIT(x, n) (((x) >> (n)) & 1u)

/* The CPU's own level, read with cpuid and the OS's saved state (xgetbv): oneDNN's getters
 * would fix its level for good, and the run's cap comes later. Then capped as oneDNN caps
 * it by ONEDNN_MAX_CPU_ISA (or the older DNNL_MAX_CPU_ISA). */
const char *fr_backend_cpu_native_isa(void)
{
    unsigned l1[4], l7[4], l71[4];
    cpuid(1, 0, l1);
    cpuid(7, 0, l7);
    cpuid(7, 1, l71);
    unsigned long long xcr0 = 0;
    if (BIT(l1[2], 27)) { /* OSXSAVE: xgetbv is there */
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = ((unsigned long long)hi << 32) | lo;
    }
    int avx = BIT(l1[2], 28) && (xcr0 & 0x6) == 0x6;
    int avx2 = avx && BIT(l7[1], 5);
    int core = avx2 && (xcr0 & 0xe0) == 0xe0 && BIT(l7[1], 16) && BIT(l7[1], 17) && BIT(l7[1], 30) && BIT(l7[1], 31);
    int vnni = core && BIT(l7[2], 11), bf16 = vnni && BIT(l71[0], 5);
    int amx = bf16 && (xcr0 & 0x60000) == 0x60000 && BIT(l7[3], 22) && BIT(l7[3], 24);
    const char *isa = amx ? "avx512_core_amx" : bf16 ? "avx512_core_bf16" : vnni ? "avx512_core_vnni"
                      : core ? "avx512_core" : avx2 && BIT(l71[0], 4) ? "avx2_vnni" : avx2 ? "avx2"
                      : avx ? "avx" : "sse41";
    const char *env = getenv("ONEDNN_MAX_CPU_ISA");
    if (!env || !*env)
        env = getenv("DNNL_MAX_CPU_ISA");
    char lower[32] = "";
    for (size_t i = 0; env && env[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(env[i] >= 'A' && env[i] <= 'Z' ? env[i] - 'A' + 'a' : env[i]);
    if (isa_index(lower) >= 0 && fr_backend_isa_supports(isa, lower))
        isa = isas[isa_index(lower)].name;
    else if (isa_index(lower) >= 0 && !fr_backend_isa_supports(lower, isa))
        isa = "avx2"; /* AVX2_VNNI and AVX-512: what both run */
    return isa;
}

int fr_backend_isa_supports(const char *have, const char *level)
{
    int h = isa_index(have), l = isa_index(level);
    if (h < 0 || l < 0)
        return 0;
    if (!strcmp(level, "avx2_vnni"))
        return !strcmp(have, "avx2_vnni");
    if (!strcmp(have, "avx2_vnni"))
        return isas[l].rank <= isas[isa_index("avx2")].rank || l == h;
    return isas[h].rank >= isas[l].rank;
}

const char *fr_backend_isa_common(const char *const *names, int n)
{
    const char *common = NULL;
    for (int i = 0; i < n; i++) {
        if (isa_index(names[i]) < 0)
            return NULL;
        if (!common || fr_backend_isa_supports(common, names[i]))
            common = names[i]; /* the lower of the two */
        else if (!fr_backend_isa_supports(names[i], common))
            common = "avx2";   /* AVX2_VNNI beside AVX-512: what both run */
    }
    return common ? isas[isa_index(common)].name : NULL;
}

fr_status fr_backend_cpu_cap_isa(const char *name, fr_err *err)
{
    /* oneDNN takes its cap once per process: a later run in this process (colorize-image's
     * stills, each a run) agrees with it or is refused */
    static int capped = -1;
    int i = isa_index(name);
    if (i < 0)
        return fr_err_set(err, FR_ERR_BACKEND, "unknown instruction set '%s'", name);
    if (capped >= 0)
        return capped == i ? FR_OK
                           : fr_err_set(err, FR_ERR_BACKEND, "oneDNN runs at %s in this process, not at %s",
                                        isas[capped].name, name);
    capped = i;
    if (dnnl_set_max_cpu_isa(isas[i].isa) != dnnl_success)
        return fr_err_set(err, FR_ERR_BACKEND, "oneDNN cannot be capped at %s now", name);
    if (strcmp(fr_backend_cpu_isa(), name))
        return fr_err_set(err, FR_ERR_BACKEND, "this CPU runs oneDNN at %s, not at the run's %s", fr_backend_cpu_isa(),
                          name);
    return FR_OK;
}

int fr_backend_cpu_has_bf16(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return isa == dnnl_cpu_isa_avx512_core_bf16 || isa == dnnl_cpu_isa_avx512_core_amx;
}

static void use_threads(cpu_ctx *c)
{
    if (omp_get_max_threads() != c->threads)
        omp_set_num_threads(c->threads);
}

static void *cpu_alloc(void *ctx, size_t bytes)
{
    (void)ctx;
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

static void cpu_release(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static fr_status cpu_copy_bytes(void *ctx, void *dst, const void *src, size_t bytes, fr_err *err)
{
    (void)ctx, (void)err;
    memcpy(dst, src, bytes);
    return FR_OK;
}

static fr_status cpu_synchronize(void *ctx, fr_err *err)
{
    (void)ctx, (void)err;
    return FR_OK;
}

static void cpu_numerics(void *ctx, char *buf, size_t len)
{
    const cpu_ctx *c = ctx;
    snprintf(buf, len, "cpu %s %s %s", c->bf16 ? "bf16" : "fp32", c->winograd ? "winograd" : "direct",
             fr_backend_cpu_isa());
}

static fr_status cpu_prepare(void *ctx, fr_graph *g, fr_node *n, fr_err *err)
{
    cpu_ctx *c = ctx;
    use_threads(c);
    if (n->op == FR_OP_ATTENTION)
        return cpu_attention_prepare(c, g, n, err);
    if (n->op != FR_OP_CONV)
        return FR_OK;
    const fr_value *x = &g->v[n->in], *y = &g->v[n->out];
    if (x->ld != x->c || y->ld != y->c)
        return fr_err_set(err, FR_ERR_INTERNAL, "%s: convolution over a channel slice", n->cw->name);
    cpu_conv *k = calloc(1, sizeof *k);
    if (!k)
        return fr_err_set(err, FR_ERR_NOMEM, "%s: out of memory", n->cw->name);
    cpu_conv_spec s = {.cw = n->cw, .h = x->h, .w = x->w, .oh = y->h, .ow = y->w, .stride = n->stride,
                       .pad_t = n->pad_t, .pad_l = n->pad_l, .pad_b = n->pad_b, .pad_r = n->pad_r,
                       .act = n->act, .act_lo = n->act_lo, .act_hi = n->act_hi,
                       .accumulate = n->accumulate, .accumulate_first = n->accumulate_first,
                       .frames = g->frames, .src = x->data, .dst = y->data};
    fr_status st = cpu_conv_create(c, &s, k, err);
    if (st != FR_OK) {
        free(k);
        return st;
    }
    n->impl = k;
    return FR_OK;
}

static fr_status grow(float **buf, size_t *have, size_t need, fr_err *err)
{
    if (need <= *have)
        return FR_OK;
    free(*buf);
    *buf = aligned_alloc(64, (need + 63) / 64 * 64);
    *have = *buf ? need : 0;
    if (!*buf)
        return fr_err_set(err, FR_ERR_NOMEM, "cpu backend: out of memory for %zu MB of staging", need >> 20);
    return FR_OK;
}

static fr_status cpu_plan_done(void *ctx, fr_graph *g, fr_err *err)
{
    (void)g;
    cpu_ctx *c = ctx;
    fr_status st;
    if ((st = grow(&c->stage_src, &c->stage_src_bytes, c->stage_src_need, err)) != FR_OK ||
        (st = grow(&c->stage_dst, &c->stage_dst_bytes, c->stage_dst_need, err)) != FR_OK)
        return st;
    if (c->scratch_need > c->scratch_bytes) {
        free(c->scratch);
        c->scratch = aligned_alloc(64, (c->scratch_need + 63) / 64 * 64);
        c->scratch_bytes = c->scratch ? c->scratch_need : 0;
        if (!c->scratch)
            return fr_err_set(err, FR_ERR_NOMEM, "cpu backend: out of memory for a %zu-byte scratchpad",
                              c->scratch_need);
    }
    return FR_OK;
}

static fr_status cpu_run(void *ctx, fr_graph *g, fr_node *n, fr_err *err)
{
    cpu_ctx *c = ctx;
    use_threads(c);
    switch (n->op) {
    case FR_OP_INPUT: cpu_input_run(g, n); return FR_OK;
    case FR_OP_OUTPUT: cpu_output_run(g, n); return FR_OK;
    case FR_OP_CONV: return cpu_conv_exec(c, n->impl, err);
    case FR_OP_MAXPOOL: cpu_maxpool_run(g, n); return FR_OK;
    case FR_OP_AFFINE: cpu_affine_run(g, n); return FR_OK;
    case FR_OP_SHUFFLE: cpu_shuffle_run(g, n); return FR_OK;
    case FR_OP_ATTENTION: return cpu_attention_run(c, g, n, err);
    case FR_OP_COPY: cpu_copy_run(g, n); return FR_OK;
    case FR_OP_COUNT: break;
    }
    return fr_err_set(err, FR_ERR_INTERNAL, "cpu backend: unknown op %d", (int)n->op);
}

static void cpu_unprepare(void *ctx, fr_node *n)
{
    (void)ctx;
    if (n->op == FR_OP_ATTENTION) {
        cpu_attention_unprepare(n);
    } else if (n->op == FR_OP_CONV && n->impl) {
        cpu_conv_destroy(n->impl);
        free(n->impl);
        n->impl = NULL;
    }
}

static void cpu_wfree(void *ctx, fr_convw *w)
{
    (void)ctx;
    cpu_weights_free(w);
}

static void cpu_free(void *ctx)
{
    cpu_ctx *c = ctx;
    if (!c)
        return;
    if (c->stream)
        dnnl_stream_destroy(c->stream);
    if (c->eng)
        dnnl_engine_destroy(c->eng);
    free(c->scratch);
    free(c->stage_src);
    free(c->stage_dst);
    free(c);
}

static const fr_backend_ops cpu_ops = {
    .name = "cpu",
    .act_type = FR_F32,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_copy_bytes,
    .download = cpu_copy_bytes,
    .synchronize = cpu_synchronize,
    .prepare = cpu_prepare,
    .plan_done = cpu_plan_done,
    .run = cpu_run,
    .unprepare = cpu_unprepare,
    .weights_free = cpu_wfree,
    .numerics = cpu_numerics,
    .free = cpu_free,
};

fr_status fr_backend_cpu_new(fr_backend *b, const fr_backend_opts *o, fr_err *err)
{
    int bf16 = o->precision && !strcmp(o->precision, "bf16");
    if (o->precision && strcmp(o->precision, "fp32") && !bf16)
        return fr_err_set(err, FR_ERR_ARG, "precision '%s': the cpu backend computes in fp32 or bf16 (fp16 needs "
                          "--backend cuda)", o->precision);
    if (bf16 && !fr_backend_cpu_has_bf16())
        return fr_err_set(err, FR_ERR_ARG, "precision 'bf16': this CPU's oneDNN ISA is %s; bf16 needs "
                          "avx512_core_bf16 or avx512_core_amx", fr_backend_cpu_isa());
    cpu_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return fr_err_set(err, FR_ERR_NOMEM, "cpu backend: out of memory");
    c->threads = o->threads;
    c->bf16 = bf16;
    /* Winograd is opt-in: about 2x faster on the large 3x3 layers, but its results change
     * with the thread count (seen), which the project's determinism rule forbids */
    const char *wg = getenv("FR_ENGINE_WINOGRAD"), *strict = getenv("FR_ENGINE_STRICT");
    c->winograd = o->winograd >= 0 ? o->winograd == 1 : wg && !strcmp(wg, "1");
    c->strict = strict && !strcmp(strict, "1");
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    c->blocked_3x3 = isa == dnnl_cpu_isa_avx2 || isa == dnnl_cpu_isa_avx2_vnni || isa == dnnl_cpu_isa_avx ||
                     isa == dnnl_cpu_isa_sse41;
    dnnl_status_t s = dnnl_engine_create(&c->eng, dnnl_cpu, 0);
    if (s == dnnl_success)
        s = dnnl_stream_create(&c->stream, c->eng, dnnl_stream_default_flags);
    if (s != dnnl_success) {
        cpu_free(c);
        return cpu_check(s, "dnnl_engine_create", "cpu backend", err);
    }
    b->ops = &cpu_ops;
    b->ctx = c;
    return FR_OK;
}
