/* cuda_check.c: one-line errors for CUDA runtime, cuDNN and cuBLASLt statuses, naming the
 * layer, the call and the shape; out of memory suggests a smaller --batch. */
#include <stdio.h>

#include "backend_cuda.h"

static fr_status fail(int oom, const char *lib, const char *what, const char *layer, const char *call,
                      const char *shape, fr_err *err)
{
    if (oom)
        return fr_err_set(err, FR_ERR_NOMEM, "cuda: %s: %s: out of GPU memory (%s%s%s); try a smaller --batch", layer,
                          call, lib, shape && *shape ? ", shape " : "", shape ? shape : "");
    return fr_err_set(err, FR_ERR_BACKEND, "cuda: %s: %s failed: %s: %s%s%s", layer, call, lib, what,
                      shape && *shape ? ", shape " : "", shape ? shape : "");
}

fr_status cuda_rt(cudaError_t e, const char *layer, const char *call, const char *shape, fr_err *err)
{
    if (e == cudaSuccess)
        return FR_OK;
    (void)cudaGetLastError(); /* clear a sticky launch error's record where it can be */
    return fail(e == cudaErrorMemoryAllocation, "CUDA", cudaGetErrorString(e), layer, call, shape, err);
}

fr_status cuda_dnn(cudnnStatus_t s, const char *layer, const char *call, const char *shape, fr_err *err)
{
    if (s == CUDNN_STATUS_SUCCESS)
        return FR_OK;
    return fail(s == CUDNN_STATUS_ALLOC_FAILED, "cuDNN", cudnnGetErrorString(s), layer, call, shape, err);
}

fr_status cuda_lt(cublasStatus_t s, const char *layer, const char *call, const char *shape, fr_err *err)
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return FR_OK;
    const char *what = s == CUBLAS_STATUS_NOT_INITIALIZED ? "not initialized"
                       : s == CUBLAS_STATUS_INVALID_VALUE  ? "invalid value"
                       : s == CUBLAS_STATUS_ARCH_MISMATCH  ? "architecture mismatch"
                       : s == CUBLAS_STATUS_EXECUTION_FAILED ? "execution failed"
                       : s == CUBLAS_STATUS_NOT_SUPPORTED  ? "not supported"
                       : s == CUBLAS_STATUS_INTERNAL_ERROR ? "internal error"
                                                           : "error";
    return fail(s == CUBLAS_STATUS_ALLOC_FAILED, "cuBLASLt", what, layer, call, shape, err);
}

fr_status cuda_grow(void **buf, size_t *have, size_t need, const char *what, fr_err *err)
{
    if (need <= *have)
        return FR_OK;
    if (*buf)
        cudaFree(*buf);
    *buf = NULL, *have = 0;
    char shape[48];
    snprintf(shape, sizeof shape, "%zu MB", need >> 20);
    CU_RT(cudaMalloc(buf, need), what, shape);
    *have = need;
    return FR_OK;
}

frk_view cuda_view(const fr_value *v)
{
    frk_view r = {v->data, v->h, v->w, v->c, v->ld, (long)v->fstride, (int)v->type};
    return r;
}
