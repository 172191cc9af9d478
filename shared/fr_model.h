/* fr_model.h: the HDF5 model file (format version 1), read and verified.
 *
 * Layout (written by tools/frnet.py export_h5, described in docs/models.md): root
 * attributes hold the architecture; group /tensors holds one float32 dataset per tensor,
 * named "enc.*" / "dec.*". weights_sha256 is the sha256 of the tensors in byte order of
 * their names, each contributing its name, a NUL byte, ndim (uint32 LE), the dims
 * (uint64 LE each) and its float32 LE data; fr_model_open verifies it.
 *
 * Ownership: the model owns the tensors' data until a caller takes one with
 * fr_model_take(); fr_model_free releases whatever is still owned. */
#ifndef FR_MODEL_H
#define FR_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "fr_status.h"

#define FR_MODEL_FORMAT "filmrestore-model"
#define FR_MODEL_FORMAT_VERSION 1
#define FR_MODEL_MAX_DIMS 4

typedef struct {
    int format_version;
    char name[128];
    char encoder[32];         /* resnet34, resnet101, mobilenetv2 */
    char decoder[16];         /* deep, wide */
    double nf_factor;
    int decoder_nf;           /* wide decoder width (0 when unused) */
    int n_taps;               /* U-Net blocks / skip connections */
    int self_attention_block; /* index of the block with self-attention, -1 none */
    int blur, last_cross;
    int render_factor;        /* default render factor */
    int n_classes;            /* output channels (3, RGB) */
    int n_tensors;
    float y_range[2];
    float input_mean[3], input_std[3];
    float output_mean[3], output_std[3];
    char sha256[65];          /* hex sha256 of the weights, verified */
} fr_model_info;

typedef struct {
    char name[96];
    int ndim;
    int64_t dims[FR_MODEL_MAX_DIMS];
    size_t count; /* number of floats */
    float *data;  /* NULL once taken */
    int used;     /* set by fr_model_get / fr_model_take */
} fr_model_tensor;

typedef struct fr_model fr_model;

/* Reads the whole file, checks every attribute and tensor and the weights' sha256. */
fr_status fr_model_open(fr_model **out, const char *path, fr_err *err);
void fr_model_free(fr_model *m);

const fr_model_info *fr_model_get_info(const fr_model *m);
int fr_model_count(const fr_model *m);
const fr_model_tensor *fr_model_at(const fr_model *m, int i);

/* Finds tensor `name` and checks its shape: ndim must match, and each dims[i] >= 0 must
 * match (pass -1 for "any"); dims may be NULL. Errors name the tensor. */
fr_status fr_model_get(fr_model *m, const char *name, int ndim, const int64_t *dims,
                       const fr_model_tensor **t, fr_err *err);
/* Like fr_model_get, and moves the data's ownership to the caller (free() it). */
fr_status fr_model_take(fr_model *m, const char *name, int ndim, const int64_t *dims,
                        float **data, fr_err *err);
/* Fails naming the first tensor that no get/take asked for (a mismatched file). */
fr_status fr_model_check_all_used(const fr_model *m, fr_err *err);

#endif
