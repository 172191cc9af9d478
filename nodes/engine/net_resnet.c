/* net_resnet.c: the ResNet-34 / ResNet-101 encoder (torchvision layout, v1.5 bottleneck
 * with the stride on the 3x3), every conv -> BN pair folded at load.
 * Skip taps, DeOldify's rule (where the spatial size changes): the stem's ReLU (/2),
 * layer1 (/4), layer2 (/8), layer3 (/16); the output is layer4 (/32). */
#include <stdio.h>
#include <string.h>

#include "fr_engine_impl.h"

int fr_net_resnet(fr_engine *e, fr_graph *g, int x, int *taps, int *ntaps)
{
    static const int counts34[4] = {3, 4, 6, 3}, counts101[4] = {3, 4, 23, 3};
    int bottleneck = !strcmp(e->info.encoder, "resnet101");
    const int *counts = bottleneck ? counts101 : counts34;
    int pad3[4] = {3, 3, 3, 3}, pad0[4] = {0, 0, 0, 0}, pad1[4] = {1, 1, 1, 1};
    x = fr_g_conv(g, x, fr_w_conv(e, g, "enc.conv1", 0, "enc.bn1", NULL, 0), 2, pad3, FR_ACT_RELU, -1, 0);
    taps[0] = x;
    x = fr_g_maxpool(g, x);
    for (int l = 0; l < 4; l++) {
        for (int b = 0; b < counts[l]; b++) {
            int stride = b == 0 && l > 0 ? 2 : 1;
            char p[64], c1[80], c2[80], c3[80], b1[80], b2[80], b3[80];
            snprintf(p, sizeof p, "enc.layer%d.%d", l + 1, b);
            snprintf(c1, sizeof c1, "%s.conv1", p), snprintf(b1, sizeof b1, "%s.bn1", p);
            snprintf(c2, sizeof c2, "%s.conv2", p), snprintf(b2, sizeof b2, "%s.bn2", p);
            snprintf(c3, sizeof c3, "%s.conv3", p), snprintf(b3, sizeof b3, "%s.bn3", p);
            int idt = x;
            if (b == 0 && (l > 0 || bottleneck)) {
                char dc[80], db[80];
                snprintf(dc, sizeof dc, "%s.downsample.conv", p);
                snprintf(db, sizeof db, "%s.downsample.bn", p);
                idt = fr_g_conv(g, x, fr_w_conv(e, g, dc, 0, db, NULL, 0), stride, pad0, FR_ACT_NONE, -1, 0);
            }
            if (!bottleneck) {
                int y = fr_g_conv_same(g, x, fr_w_conv(e, g, c1, 0, b1, NULL, 0), stride, FR_ACT_RELU, -1);
                x = fr_g_conv(g, y, fr_w_conv(e, g, c2, 0, b2, NULL, 0), 1, pad1, FR_ACT_RELU, idt, 1);
            } else {
                int y = fr_g_conv_same(g, x, fr_w_conv(e, g, c1, 0, b1, NULL, 0), 1, FR_ACT_RELU, -1);
                y = fr_g_conv_same(g, y, fr_w_conv(e, g, c2, 0, b2, NULL, 0), stride, FR_ACT_RELU, -1);
                x = fr_g_conv(g, y, fr_w_conv(e, g, c3, 0, b3, NULL, 0), 1, pad0, FR_ACT_RELU, idt, 1);
            }
        }
        if (l < 3)
            taps[l + 1] = x;
    }
    *ntaps = 4;
    return x;
}
