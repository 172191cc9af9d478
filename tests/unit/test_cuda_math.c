/* test_cuda_math.c: the CUDA backend's per-element arithmetic (nodes/engine/cuda/
 * cuda_math.h, the same __host__ __device__ code its kernels run) on the host, against
 * the naive references of engine_ref.h (those test_engine_layers.c holds every backend
 * to): f16 and bf16 rounding, the convolution tail with the OHWI weight order and zero
 * padding, pixel shuffle + blur + resize, max pool, affine, row softmax and attention, in
 * f32, f16 and bf16 storage. Each op is emulated the way its kernel runs: load to float,
 * compute in float, round once on store. Runs without a GPU and without the CUDA build. */
#include "engine_ref.h"

#include "cuda/cuda_math.h"

static const int kinds[3] = {FRH_F32, FRH_F16, FRH_BF16};
static const char *kind_name[3] = {"f32", "f16", "bf16"};
/* relative L2 error allowed per storage kind: the 1e-4 (f32) and 1e-2 */
static const double kind_tol[3] = {1e-5, 1e-2, 1e-2};

/* nearest bf16 by distances in double, ties to even; past the largest finite value the
 * upper neighbour is 2^128 (inf), as IEEE rounding has it */
static uint16_t bf16_ref(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t lo = u >> 16, hi = lo + 1;
    double a = frh_float(lo << 16), b = frh_float(hi << 16);
    if (isinf(b))
        b = copysign(ldexp(1.0, 128), f);
    double da = fabs((double)f - a), db = fabs((double)f - b);
    return (uint16_t)(da < db ? lo : db < da ? hi : (lo & 1 ? hi : lo));
}

Test(cuda_math, f16_round_trip_every_half)
{
    for (uint32_t h = 0; h < 65536; h++) {
        float f = frh_f32_from_f16((uint16_t)h);
        if (isnan(f))
            continue;
        cr_assert_eq(frh_f16_from_f32(f), h, "half 0x%04x -> %g -> 0x%04x", h, f, frh_f16_from_f32(f));
#ifdef __FLT16_MAX__
        _Float16 r;
        uint16_t hb = (uint16_t)h;
        memcpy(&r, &hb, 2);
        cr_assert_eq(f, (float)r, "half 0x%04x: %g, the compiler says %g", h, f, (float)r);
#endif
    }
}

Test(cuda_math, f16_rounding_nearest_even)
{
    float edge[] = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.99f, 65520.0f, 1e9f, -1e9f, 5.960464477539063e-08f,
                    2.98023223876953125e-08f, 2.9802326e-08f, 6.1035156e-05f, 6.1035e-05f, 1.0009765625f,
                    1.00048828125f, 1.00146484375f, INFINITY, -INFINITY, 3.14159265f, -2.718281828f};
    unsigned seed = 7;
    for (int i = 0; i < 200000 + (int)(sizeof edge / sizeof *edge); i++) {
        float f;
        if (i < (int)(sizeof edge / sizeof *edge)) {
            f = edge[i];
        } else { /* random bits over the whole float range, and dense near the half range */
            uint32_t u = (uint32_t)(frand(&seed) * 32768) << 16 ^ (uint32_t)(frand(&seed) * 32768);
            f = i % 2 ? frh_float(u) : frand(&seed) * (float)(1 << (i % 20));
            if (isnan(f))
                continue;
        }
        uint16_t got = frh_f16_from_f32(f);
#ifdef __FLT16_MAX__
        _Float16 r = (_Float16)f;
        uint16_t want;
        memcpy(&want, &r, 2);
        cr_assert_eq(got, want, "%.9g: 0x%04x, the compiler rounds to 0x%04x", f, got, want);
#else
        double back = frh_f32_from_f16(got);
        cr_assert(isinf(back) || fabs(back - f) <= fabs((double)f) * 0x1p-11 + 0x1p-25, "%.9g -> %.9g", f, back);
#endif
    }
    cr_assert(isnan(frh_f32_from_f16(frh_f16_from_f32(NAN))));
}

Test(cuda_math, bf16_rounding_nearest_even)
{
    unsigned seed = 9;
    for (int i = 0; i < 200000; i++) {
        uint32_t u = (uint32_t)(frand(&seed) * 32768) << 16 ^ (uint32_t)(frand(&seed) * 32768);
        if (i % 3 == 0)
            u = (u & 0xffff0000u) | 0x8000u; /* exact ties */
        float f = frh_float(u);
        if (isnan(f) || isinf(f))
            continue;
        cr_assert_eq(frh_bf16_from_f32(f), bf16_ref(f), "%.9g (0x%08x)", f, u);
        cr_assert_eq(frh_f32_from_bf16(frh_bf16_from_f32(frh_f32_from_bf16((uint16_t)(u >> 16)))),
                     frh_f32_from_bf16((uint16_t)(u >> 16)));
    }
    cr_assert(isnan(frh_f32_from_bf16(frh_bf16_from_f32(NAN))));
}

/* NCHW float frames -> NHWC storage of kind t, as frk_input does */
static void *to_nhwc(const float *in, int h, int w, int c, int t)
{
    long hw = (long)h * w;
    void *d = malloc((size_t)hw * c * 4);
    for (long p = 0; p < hw; p++)
        for (int k = 0; k < c; k++)
            frh_store(d, p * c + k, t, in[frh_nchw_index(p, k, hw)]);
    return d;
}

/* NHWC storage -> NCHW float, as frk_output does */
static float *to_nchw(const void *d, int h, int w, int c, int t)
{
    long hw = (long)h * w;
    float *o = malloc(sizeof(float) * hw * c);
    for (long p = 0; p < hw; p++)
        for (int k = 0; k < c; k++)
            o[frh_nchw_index(p, k, hw)] = frh_load(d, p * c + k, t);
    return o;
}

/* The conv path on the host: zero padding (frk_pad) when the pads are asymmetric, OHWI
 * weights in storage kind t (cuda_weights.c), float sums (as cuDNN accumulates), the tail
 * (frk_tail_run) with y's old contents as the residual; y NHWC of kind t. */
static void conv_emul(const tconv *tc, const void *x, int h, int w, int stride, const int pad[4], frh_tail tl,
                      void *y, int t)
{
    int icg = tc->ic / tc->groups, ocg = tc->oc / tc->groups, k = tc->k;
    int ph = h + pad[0] + pad[2], pw = w + pad[1] + pad[3];
    void *xp = calloc((size_t)ph * pw * tc->ic, 4); /* zeros in every kind */
    for (int yy = 0; yy < ph; yy++)
        for (int xx = 0; xx < pw; xx++)
            for (int c = 0; c < tc->ic; c++) {
                int sy = yy - pad[0], sx = xx - pad[1];
                float v = sy >= 0 && sy < h && sx >= 0 && sx < w ? frh_load(x, ((long)sy * w + sx) * tc->ic + c, t) : 0;
                frh_store(xp, ((long)yy * pw + xx) * tc->ic + c, t, v);
            }
    void *wk = malloc((size_t)tc->oc * icg * k * k * 4);
    for (int o = 0; o < tc->oc; o++)
        for (int i = 0; i < icg; i++)
            for (int a = 0; a < k; a++)
                for (int b = 0; b < k; b++)
                    frh_store(wk, frh_krsc_index(o, i, a, b, icg, k, k), t, tc->w[((o * icg + i) * k + a) * k + b]);
    int oh = (ph - k) / stride + 1, ow = (pw - k) / stride + 1;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            for (int o = 0; o < tc->oc; o++) {
                int g = o / ocg;
                float s = 0;
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++)
                        for (int i = 0; i < icg; i++)
                            s += frh_load(xp, ((long)(oy * stride + a) * pw + ox * stride + b) * tc->ic + g * icg + i, t) *
                                 frh_load(wk, frh_krsc_index(o, i, a, b, icg, k, k), t);
                long yi = ((long)oy * ow + ox) * tc->oc + o;
                s = frh_round(s, t); /* cuDNN's output, or the staging before the tail */
                float v = frh_tail_apply(&tl, s, tc->b ? tc->b[o] : 0, tc->ps ? tc->ps[o] : 1, tc->pt ? tc->pt[o] : 0,
                                         frh_load(y, yi, t));
                frh_store(y, yi, t, v);
            }
    free(xp), free(wk);
}

static void check_conv_emul(int ic, int oc, int k, int groups, int hw, int stride, const int pad[4], fr_act act,
                            int post, int acc_mode)
{
    tconv tc = make_conv(oc, ic, k, groups, 1, post, 40u + (unsigned)oc);
    int oh = (hw + pad[0] + pad[2] - k) / stride + 1;
    float *in = rnd((size_t)ic * hw * hw, 5), *accin = rnd((size_t)oc * oh * oh, 6);
    double *ref = calloc((size_t)oc * oh * oh, sizeof *ref), *acc = calloc((size_t)oc * oh * oh, sizeof *acc);
    for (size_t i = 0; i < (size_t)oc * oh * oh; i++)
        acc[i] = accin[i];
    int rh, rw;
    conv_ref(&tc, in, hw, hw, stride, pad, act, acc_mode ? acc : NULL, acc_mode == 2, ref, &rh, &rw);
    cr_assert_eq(rh, oh);
    for (int q = 0; q < 3; q++) {
        int t = kinds[q];
        void *x = to_nhwc(in, hw, hw, ic, t);
        void *y = acc_mode ? to_nhwc(accin, oh, oh, oc, t) : calloc((size_t)oc * oh * oh, 4);
        frh_tail tl = {(int)act, acc_mode == 2, acc_mode == 1, post, -3, 3};
        conv_emul(&tc, x, hw, hw, stride, pad, tl, y, t);
        float *out = to_nchw(y, oh, oh, oc, t);
        char what[96];
        snprintf(what, sizeof what, "conv %d->%d k%d g%d s%d act %d post %d acc %d in %s", ic, oc, k, groups, stride,
                 (int)act, post, acc_mode, kind_name[q]);
        expect_close(out, ref, (size_t)oc * oh * oh, kind_tol[q], what);
        free(x), free(y), free(out);
    }
    free_conv(&tc, NULL);
    free(in), free(accin), free(ref), free(acc);
}

Test(cuda_math, conv_tails)
{
    int same[4] = {1, 1, 1, 1}, zero[4] = {0, 0, 0, 0}, keras[4] = {0, 0, 1, 1}, seven[4] = {3, 3, 3, 3};
    check_conv_emul(8, 12, 3, 1, 9, 1, same, FR_ACT_RELU, 0, 0);       /* fused: conv + bias + ReLU */
    check_conv_emul(8, 8, 3, 1, 9, 1, same, FR_ACT_RELU, 0, 2);        /* fused: residual before ReLU */
    check_conv_emul(8, 8, 3, 1, 9, 1, same, FR_ACT_RELU, 0, 1);        /* split: residual after ReLU */
    check_conv_emul(8, 12, 3, 1, 9, 1, same, FR_ACT_RELU, 1, 0);       /* split: BN after ReLU */
    check_conv_emul(6, 6, 3, 6, 10, 2, keras, FR_ACT_RELU6, 0, 0);     /* depthwise, Keras padding, ReLU6 */
    check_conv_emul(3, 8, 7, 1, 12, 2, seven, FR_ACT_NONE, 0, 0);      /* the ResNet stem */
    check_conv_emul(5, 3, 1, 1, 6, 1, zero, FR_ACT_NONE, 0, 0);       /* the output's 1x1 (the sigmoid range:
                                                                         activations_and_affine) */
}

/* ref's sigmoid range (conv_ref knows no sigmoid): checked on its own */
Test(cuda_math, activations_and_affine)
{
    for (int i = -400; i <= 400; i++) {
        double x = i / 40.0;
        cr_assert_float_eq(frh_act((float)x, FRH_ACT_SIGMOID_RANGE, -3, 3), 6.0 / (1.0 + exp(-x)) - 3.0, 1e-6);
        cr_assert_float_eq(frh_act((float)x, FRH_ACT_RELU, 0, 0), act_ref(x, FR_ACT_RELU), 1e-6);
        cr_assert_float_eq(frh_act((float)x, FRH_ACT_RELU6, 0, 0), act_ref(x, FR_ACT_RELU6), 1e-6);
        cr_assert_float_eq(frh_affine((float)x, 1.5f, -0.25f, FRH_ACT_RELU), act_ref(x * 1.5 - 0.25, FR_ACT_RELU),
                           1e-6);
    }
}

Test(cuda_math, shuffle_blur_resize)
{
    int H = 3, W = 3, C = 5;
    int outs[2] = {5, 6}; /* a skip of odd size (nearest resize), and none */
    float *in = rnd((size_t)4 * C * H * W, 21);
    for (int r = 0; r < 2; r++) {
        int OH = outs[r], OW = outs[r];
        double ref[5 * 36];
        shuffle_ref(in, H, W, C, OH, OW, ref);
        for (int q = 0; q < 3; q++) {
            int t = kinds[q];
            void *x = to_nhwc(in, H, W, 4 * C, t), *y = malloc((size_t)OH * OW * C * 4);
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                    frh_taps tp = frh_shuffle_taps(oy, ox, H, W, OH, OW, C);
                    for (int k = 0; k < C; k++) {
                        float v[4];
                        for (int j = 0; j < 4; j++)
                            v[j] = frh_load(x, tp.pix[j] * 4 * C + tp.coff[j] + k, t);
                        frh_store(y, ((long)oy * OW + ox) * C + k, t, frh_mean4(v[0], v[1], v[2], v[3]));
                    }
                }
            float *out = to_nchw(y, OH, OW, C, t);
            expect_close(out, ref, (size_t)C * OH * OW, q ? kind_tol[q] : 1e-7, kind_name[q]);
            free(x), free(y), free(out);
        }
    }
    free(in);
}

Test(cuda_math, maxpool)
{
    int sizes[2] = {7, 8}, C = 3;
    for (int s = 0; s < 2; s++) {
        int H = sizes[s], OH = (H - 1) / 2 + 1;
        float *in = rnd((size_t)C * H * H, 4);
        double ref[3 * 16];
        maxpool_ref(in, H, H, C, ref);
        void *x = to_nhwc(in, H, H, C, FRH_F32), *y = malloc((size_t)OH * OH * C * 4);
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OH; ox++)
                for (int k = 0; k < C; k++) {
                    int y0, y1, x0, x1;
                    frh_pool_range(oy, H, &y0, &y1);
                    frh_pool_range(ox, H, &x0, &x1);
                    float m = -INFINITY;
                    for (int yy = y0; yy < y1; yy++)
                        for (int xx = x0; xx < x1; xx++)
                            m = frh_max(m, frh_load(x, ((long)yy * H + xx) * C + k, FRH_F32));
                    frh_store(y, ((long)oy * OH + ox) * C + k, FRH_F32, m);
                }
        float *out = to_nchw(y, OH, OH, C, FRH_F32);
        expect_close(out, ref, (size_t)C * OH * OH, 0, "maxpool");
        free(x), free(y), free(out), free(in);
    }
}

Test(cuda_math, softmax_rows)
{
    int ns[4] = {1, 7, 256, 1000};
    float scratch[512];
    for (int r = 0; r < 4; r++) {
        int n = ns[r];
        float *x = rnd((size_t)n, 50u + (unsigned)n), *y = malloc(sizeof(float) * n);
        for (int i = 0; i < n; i++)
            x[i] *= 8;
        frh_softmax_row(x, y, n, 256, scratch);
        double m = -INFINITY, s = 0;
        for (int i = 0; i < n; i++)
            m = x[i] > m ? x[i] : m;
        for (int i = 0; i < n; i++)
            s += exp(x[i] - m);
        double *ref = malloc(sizeof(double) * n);
        for (int i = 0; i < n; i++)
            ref[i] = exp(x[i] - m) / s;
        expect_close(y, ref, (size_t)n, 1e-6, "softmax");
        free(x), free(y), free(ref);
    }
}

/* attention as cuda_attention.c computes it: projections in storage, f32 scores, softmax
 * rows into storage, x += gamma P h with f32 sums */
Test(cuda_math, self_attention)
{
    int C = 16, QK = 2, N = 25, L = 2 * QK + C;
    tconv qkv = make_conv(L, C, 1, 1, 0, 0, 32);
    float *xin = rnd((size_t)C * N, 33);
    double proj[20 * 25], xr[16 * 25], ref[16 * 25];
    int zp[4] = {0, 0, 0, 0}, oh, ow;
    conv_ref(&qkv, xin, 5, 5, 1, zp, FR_ACT_NONE, NULL, 0, proj, &oh, &ow);
    for (int i = 0; i < C * N; i++)
        xr[i] = xin[i];
    attention_ref(proj, xr, N, C, QK, 0.7, ref);
    float s[25], p[25], scratch[512], out[16 * 25];
    for (int q = 0; q < 3; q++) {
        int t = kinds[q];
        for (int j = 0; j < N; j++) { /* query j: scores over i */
            for (int i = 0; i < N; i++) {
                float d = 0;
                for (int k = 0; k < QK; k++)
                    d += frh_round((float)proj[(QK + k) * N + j], t) * frh_round((float)proj[k * N + i], t);
                s[i] = d;
            }
            frh_softmax_row(s, p, N, 256, scratch);
            for (int c = 0; c < C; c++) {
                float o = 0;
                for (int i = 0; i < N; i++)
                    o += frh_round(p[i], t) * frh_round((float)proj[(2 * QK + c) * N + i], t);
                out[c * N + j] = frh_round(0.7f * o + frh_round(xin[c * N + j], t), t);
            }
        }
        expect_close(out, ref, (size_t)C * N, kind_tol[q], kind_name[q]);
    }
    free_conv(&qkv, NULL);
    free(xin);
}
