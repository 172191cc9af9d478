/* net_mobilenet.c: the MobileNetV2 encoder (Keras layout, alpha 1.0): stem conv 3x3/2,
 * 17 inverted-residual blocks (expand 1x1 + ReLU6, depthwise 3x3 + ReLU6, project 1x1,
 * residual when the shape allows), head conv 1x1 to 1280 + ReLU6. BNs fold into their
 * convs. Keras pads stride-2 convolutions by (top 0, left 0, bottom 1, right 1).
 * Skip taps (DeOldify's rule): blocks 0 (16 @ /2), 2 (24 @ /4), 5 (32 @ /8),
 * 12 (96 @ /16); the head is the output (1280 @ /32). Widths come from the weights. */
#include <stdio.h>

#include "fr_engine_impl.h"

int fr_net_mobilenet(fr_engine *e, fr_graph *g, int x, int *taps, int *ntaps)
{
    /* expansion and first stride of each of the 17 blocks */
    static const int expand[17] = {1, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6};
    static const int stride[17] = {1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1};
    int keras2[4] = {0, 0, 1, 1}, same1[4] = {1, 1, 1, 1}, none[4] = {0, 0, 0, 0};
    x = fr_g_conv(g, x, fr_w_conv(e, g, "enc.stem.conv", 0, "enc.stem.bn", NULL, 0), 2, keras2,
                  FR_ACT_RELU6, -1, 0);
    int nt = 0;
    for (int b = 0; b < 17 && g->st == FR_OK; b++) {
        char c[64], n[64];
        int y = x;
        if (expand[b] != 1) {
            snprintf(c, sizeof c, "enc.block%d.expand.conv", b);
            snprintf(n, sizeof n, "enc.block%d.expand.bn", b);
            y = fr_g_conv(g, y, fr_w_conv(e, g, c, 0, n, NULL, 0), 1, none, FR_ACT_RELU6, -1, 0);
        }
        snprintf(c, sizeof c, "enc.block%d.dw.conv", b);
        snprintf(n, sizeof n, "enc.block%d.dw.bn", b);
        y = fr_g_conv(g, y, fr_w_conv(e, g, c, 1, n, NULL, 0), stride[b], stride[b] == 2 ? keras2 : same1,
                      FR_ACT_RELU6, -1, 0);
        snprintf(c, sizeof c, "enc.block%d.project.conv", b);
        snprintf(n, sizeof n, "enc.block%d.project.bn", b);
        fr_convw *pw = fr_w_conv(e, g, c, 0, n, NULL, 0);
        if (!pw || g->st || y < 0)
            break;
        int residual = stride[b] == 1 && g->v[x].c == pw->oc;
        x = fr_g_conv(g, y, pw, 1, none, FR_ACT_NONE, residual ? x : -1, 0);
        if (b == 0 || b == 2 || b == 5 || b == 12)
            taps[nt++] = x;
    }
    x = fr_g_conv(g, x, fr_w_conv(e, g, "enc.head.conv", 0, "enc.head.bn", NULL, 0), 1, none, FR_ACT_RELU6,
                  -1, 0);
    *ntaps = nt;
    return x;
}
