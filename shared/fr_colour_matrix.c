/* fr_colour_matrix.c: the film's own RGB <-> YCbCr matrix (fr_colour_matrix.h). */
#include "fr_colour_matrix.h"

#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>

static const fr_colour_matrix bt601 = {"BT.601", 0.299, 0.114, SWS_CS_ITU601};
static const fr_colour_matrix bt709 = {"BT.709", 0.2126, 0.0722, SWS_CS_ITU709};
static const fr_colour_matrix bt2020 = {"BT.2020", 0.2627, 0.0593, SWS_CS_BT2020};
static const fr_colour_matrix smpte240m = {"SMPTE 240M", 0.212, 0.087, SWS_CS_SMPTE240M};
static const fr_colour_matrix fcc = {"FCC", 0.30, 0.11, SWS_CS_FCC};

const fr_colour_matrix *fr_colour_matrix_of(int colorspace)
{
    switch (colorspace) {
    case AVCOL_SPC_BT709: return &bt709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return &bt2020;
    case AVCOL_SPC_SMPTE240M: return &smpte240m;
    case AVCOL_SPC_FCC: return &fcc;
    default: return &bt601;
    }
}

int fr_colour_matrix_assumed(int colorspace)
{
    return colorspace == AVCOL_SPC_UNSPECIFIED || colorspace == AVCOL_SPC_RGB || colorspace == AVCOL_SPC_RESERVED;
}

void fr_colour_matrix_coefs(const fr_colour_matrix *m, float cb[3], float cr[3])
{
    if (m == &bt601) {
        const float b601[3] = {-0.168736f, -0.331264f, 0.5f}, r601[3] = {0.5f, -0.418688f, -0.081312f};
        for (int i = 0; i < 3; i++)
            cb[i] = b601[i], cr[i] = r601[i];
        return;
    }
    double kr = m->kr, kb = m->kb, kg = 1.0 - kr - kb;
    cb[0] = (float)(-kr / (2.0 * (1.0 - kb)));
    cb[1] = (float)(-kg / (2.0 * (1.0 - kb)));
    cb[2] = 0.5f;
    cr[0] = 0.5f;
    cr[1] = (float)(-kg / (2.0 * (1.0 - kr)));
    cr[2] = (float)(-kb / (2.0 * (1.0 - kr)));
}
