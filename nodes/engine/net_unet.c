/* net_unet.c: the DeOldify U-Net decoder over any encoder (DynamicUnetDeep / Wide):
 *   encoder -> BN -> ReLU -> middle (two conv-ReLU-BN layers)
 *   per tap, deepest first: ShuffleUp (conv1x1 with its BN folded, ReLU, pixel shuffle,
 *     blur, nearest resize to the skip's size) into the left of a concatenation, the
 *     skip's BN + ReLU into the right; then one (wide) or two (deep) conv-ReLU-BN layers,
 *     self-attention after the last one in block `self_attention_block`
 *   final shuffle (conv1x1 + bias, ReLU, shuffle, blur) concatenated with the input
 *   residual block: x + ReLU(conv(ReLU(conv(x)))) (convs with bias, no BN)
 *   conv1x1 + bias -> sigmoid range.
 * The ReLU after the concatenation is applied to the skip half only: the upsampled half
 * is an average of ReLU outputs, never negative. */
#include <stdio.h>
#include <string.h>

#include "fr_engine_impl.h"

static int conv_layer(fr_engine *e, fr_graph *g, int x, const char *pre)
{
    char c[96], n[96];
    snprintf(c, sizeof c, "%s.conv", pre);
    snprintf(n, sizeof n, "%s.bn", pre);
    return fr_g_conv_same(g, x, fr_w_conv(e, g, c, 0, NULL, n, 0), 1, FR_ACT_RELU, -1);
}

void fr_net_unet(fr_engine *e, fr_graph *g)
{
    const fr_model_info *in = &e->info;
    int taps[8], nt = 0;
    int input = fr_g_input(g, 3);
    int x = !strcmp(in->encoder, "mobilenetv2") ? fr_net_mobilenet(e, g, input, taps, &nt)
                                                : fr_net_resnet(e, g, input, taps, &nt);
    if (g->st != FR_OK)
        return;
    if (nt != in->n_taps) {
        g->st = fr_err_set(&g->err, FR_ERR_MODEL, "model '%s': attribute 'n_taps' = %d, but a %s has %d",
                           in->name, in->n_taps, in->encoder, nt);
        return;
    }
    x = fr_g_affine(g, x, fr_w_affine(e, g, "dec.bn"), FR_ACT_RELU, -1);
    x = conv_layer(e, g, x, "dec.middle.0");
    x = conv_layer(e, g, x, "dec.middle.1");
    int deep = !strcmp(in->decoder, "deep");
    for (int i = 0; i < nt && g->st == FR_OK; i++) {
        char p[64], a[96], b[96];
        int skip = taps[nt - 1 - i];
        snprintf(a, sizeof a, "dec.block%d.shuf.conv", i);
        snprintf(b, sizeof b, "dec.block%d.shuf.bn", i);
        fr_convw *sw = fr_w_conv(e, g, a, 0, b, NULL, 0);
        fr_w_shuffle_order(g, sw);
        int t = fr_g_conv_same(g, x, sw, 1, FR_ACT_RELU, -1);
        if (g->st != FR_OK)
            return;
        int up = sw->oc / 4, sc = g->v[skip].c;
        int cat = fr_g_value(g, g->v[skip].h, g->v[skip].w, up + sc);
        fr_g_shuffle(g, t, fr_g_slice(g, cat, 0, up));
        snprintf(a, sizeof a, "dec.block%d.skip_bn", i);
        fr_g_affine(g, skip, fr_w_affine(e, g, a), FR_ACT_RELU, fr_g_slice(g, cat, up, sc));
        snprintf(p, sizeof p, "dec.block%d.conv1", i);
        x = conv_layer(e, g, cat, p);
        if (deep) {
            snprintf(p, sizeof p, "dec.block%d.conv2", i);
            x = conv_layer(e, g, x, p);
        }
        if (i == in->self_attention_block) {
            snprintf(a, sizeof a, "%s.sa", p);
            x = fr_g_attention(g, x, fr_w_attention(e, g, a));
        }
    }
    fr_convw *fw = fr_w_conv(e, g, "dec.final_shuf.conv", 0, NULL, NULL, 1);
    fr_w_shuffle_order(g, fw);
    int t = fr_g_conv_same(g, x, fw, 1, FR_ACT_RELU, -1);
    if (g->st != FR_OK)
        return;
    int c = fw->oc / 4;
    int m = fr_g_value(g, g->size, g->size, c + 3);
    fr_g_shuffle(g, t, fr_g_slice(g, m, 0, c));
    fr_g_copy(g, input, fr_g_slice(g, m, c, 3));
    fr_convw *r0 = fr_w_conv(e, g, "dec.res.0.conv", 0, NULL, NULL, 1);
    fr_convw *r1 = fr_w_conv(e, g, "dec.res.1.conv", 0, NULL, NULL, 1);
    fr_convw *ow = fr_w_conv(e, g, "dec.out.conv", 0, NULL, NULL, 1);
    int r = fr_g_conv_same(g, m, r0, 1, FR_ACT_RELU, -1);
    int pad1[4] = {1, 1, 1, 1}, pad0[4] = {0, 0, 0, 0};
    r = fr_g_conv(g, r, r1, 1, pad1, FR_ACT_RELU, m, 0);
    int o = fr_g_conv(g, r, ow, 1, pad0, FR_ACT_SIGMOID_RANGE, -1, 0);
    if (g->st != FR_OK)
        return;
    g->n[g->nn - 1].act_lo = in->y_range[0];
    g->n[g->nn - 1].act_hi = in->y_range[1];
    fr_g_output(g, o);
}
