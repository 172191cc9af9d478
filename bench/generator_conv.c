/* generator_conv.c: oneDNN vs OpenBLAS on the generator's convolution shapes (bench only).
 *
 * For each shape (the video model's heaviest layers at render factor 21), times:
 *   dnnl-nhwc     oneDNN direct convolution, NHWC activations (what the engine runs)
 *   dnnl-blocked  oneDNN with the activation layout left to oneDNN (nChw16c)
 *   blas-im2col   im2col + OpenBLAS sgemm (the classic BLAS route)
 * and prints GFLOP/s. Built and run by bench/generator:
 *   mpicc -O2 -fopenmp bench/generator_conv.c -ldnnl -lopenblas -o conv && ./conv THREADS
 * Other shapes: ./conv THREADS IC OC K H [IC OC K H ...] */
#include <cblas.h>
#include <dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define CK(x)                                                                                      \
    do {                                                                                           \
        dnnl_status_t s_ = (x);                                                                    \
        if (s_ != dnnl_success) {                                                                  \
            fprintf(stderr, "%s failed (%d)\n", #x, (int)s_);                                      \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static double dnnl_conv(dnnl_engine_t eng, dnnl_stream_t st, int ic, int oc, int k, int h, int blocked, int reps)
{
    int wino = blocked == 2;
    dnnl_memory_desc_t src, w, dst;
    dnnl_dims_t sd = {1, ic, h, h}, wd = {oc, ic, k, k}, dd = {1, oc, h, h};
    dnnl_format_tag_t at = blocked ? dnnl_format_tag_any : dnnl_nhwc;
    CK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, at));
    CK(dnnl_memory_desc_init_by_tag(&w, 4, wd, dnnl_f32, dnnl_format_tag_any));
    CK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, at));
    dnnl_convolution_desc_t cd;
    dnnl_dims_t s1 = {1, 1}, p = {(k - 1) / 2, (k - 1) / 2};
    CK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
                                          wino ? dnnl_convolution_winograd : dnnl_convolution_direct, &src, &w,
                                          NULL, &dst, s1, p, p));
    dnnl_primitive_desc_t pd;
    if (dnnl_primitive_desc_create(&pd, &cd, NULL, eng, NULL) != dnnl_success)
        return -1; /* not implemented for this shape or machine */
    dnnl_primitive_t prim;
    CK(dnnl_primitive_create(&prim, pd));
    dnnl_memory_t ms, mw, md;
    CK(dnnl_memory_create(&ms, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), eng, DNNL_MEMORY_ALLOCATE));
    CK(dnnl_memory_create(&mw, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), eng,
                          DNNL_MEMORY_ALLOCATE));
    CK(dnnl_memory_create(&md, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), eng, DNNL_MEMORY_ALLOCATE));
    void *p0;
    dnnl_memory_get_data_handle(ms, &p0);
    memset(p0, 0, dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0)));
    dnnl_memory_get_data_handle(mw, &p0);
    memset(p0, 0, dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)));
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, md}};
    CK(dnnl_primitive_execute(prim, st, 3, a));
    dnnl_stream_wait(st);
    double t = now();
    for (int r = 0; r < reps; r++)
        CK(dnnl_primitive_execute(prim, st, 3, a));
    dnnl_stream_wait(st);
    t = (now() - t) / reps;
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(ms), dnnl_memory_destroy(mw), dnnl_memory_destroy(md);
    return t;
}

static double blas_conv(int ic, int oc, int k, int h, int reps)
{
    size_t hw = (size_t)h * h, kk = (size_t)ic * k * k;
    float *in = calloc((size_t)ic * hw, 4), *col = calloc(kk * hw, 4), *w = calloc((size_t)oc * kk, 4),
          *out = calloc((size_t)oc * hw, 4);
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t = now();
        if (k > 1) {
            int pad = (k - 1) / 2;
#pragma omp parallel for
            for (int c = 0; c < ic; c++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        float *dst = col + ((size_t)(c * k + ky) * k + kx) * hw;
                        for (int y = 0; y < h; y++)
                            for (int x = 0; x < h; x++) {
                                int yy = y + ky - pad, xx = x + kx - pad;
                                dst[y * h + x] = yy < 0 || yy >= h || xx < 0 || xx >= h ? 0 : in[(c * h + yy) * h + xx];
                            }
                    }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, oc, (int)hw, (int)kk, 1, w, (int)kk,
                    k > 1 ? col : in, (int)hw, 0, out, (int)hw);
        t = now() - t;
        if (r && t < best)
            best = t;
    }
    free(in), free(col), free(w), free(out);
    return best;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    dnnl_engine_t eng;
    dnnl_stream_t st;
    CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    /* name, ic, oc, k, h: the video model at render factor 21 (336 px) */
    struct { const char *name; int ic, oc, k, h; } s[16] = {
        {"res block 259->259 3x3 @336", 259, 259, 3, 336},
        {"res block padded 272->272 @336", 272, 272, 3, 336},
        {"final shuffle 256->1024 1x1 @168", 256, 1024, 1, 168},
        {"block3 320->256 3x3 @168", 320, 256, 3, 168},
        {"block2 768->512 3x3 @84", 768, 512, 3, 84},
        {"middle 2048->4096 3x3 @11", 2048, 4096, 3, 11},
        {"layer3 256->256 3x3 @21", 256, 256, 3, 21},
    };
    size_t ns = 7;
    static char names[16][48];
    for (int a = 2; a + 3 < argc && (a - 2) / 4 < 16; a += 4) { /* shapes from the command line */
        size_t k = (size_t)(a - 2) / 4;
        s[k].ic = atoi(argv[a]), s[k].oc = atoi(argv[a + 1]), s[k].k = atoi(argv[a + 2]), s[k].h = atoi(argv[a + 3]);
        snprintf(names[k], sizeof names[k], "%d->%d %dx%d @%d", s[k].ic, s[k].oc, s[k].k, s[k].k, s[k].h);
        s[k].name = names[k];
        ns = k + 1;
    }
    printf("%-34s %10s %12s %12s %12s %12s\n", "layer", "GFLOP", "dnnl-nhwc", "dnnl-blocked", "dnnl-wino",
           "blas-im2col");
    for (size_t i = 0; i < ns; i++) {
        double fl = 2.0 * s[i].ic * s[i].oc * s[i].k * s[i].k * s[i].h * s[i].h;
        int reps = fl > 2e10 ? 2 : fl > 2e9 ? 4 : 10;
        double a = dnnl_conv(eng, st, s[i].ic, s[i].oc, s[i].k, s[i].h, 0, reps);
        double b = dnnl_conv(eng, st, s[i].ic, s[i].oc, s[i].k, s[i].h, 1, reps);
        double w = s[i].k == 3 ? dnnl_conv(eng, st, s[i].ic, s[i].oc, s[i].k, s[i].h, 2, reps) : -1;
        double c = blas_conv(s[i].ic, s[i].oc, s[i].k, s[i].h, reps > 2 ? 2 : 1);
        printf("%-34s %10.2f %9.1f GF %9.1f GF %9.1f GF %9.1f GF\n", s[i].name, fl / 1e9, fl / a / 1e9,
               fl / b / 1e9, w > 0 ? fl / w / 1e9 : 0.0, fl / c / 1e9);
        fflush(stdout);
    }
    dnnl_stream_destroy(st);
    dnnl_engine_destroy(eng);
    return 0;
}
