/* cpu_matmul.c: one small matrix product on oneDNN, for self-attention's blocks:
 *   C[m x n] = alpha A[m x k] B[k x n]  (+ C when accumulating)
 * with strided operands (B may be stored transposed). It is planned for one thread, so
 * its kernel and summation order do not depend on the backend's thread count, and each
 * OpenMP thread runs it on its own rows through its own stream, memory objects and
 * scratchpad (a primitive may run concurrently on distinct memory). OpenBLAS is the
 * fallback where oneDNN has only a reference matmul (cpu_attention.c): Debian's
 * OpenBLAS 0.3.21 runs its SSE3 "Prescott" kernel on CPUs it does not know, measured
 * 10 s of the video model's 13.6 s a frame here against 4 s of convolutions. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"

static dnnl_status_t strided(dnnl_memory_desc_t *md, long rows, long cols, long rs, long cs)
{
    dnnl_dims_t d = {rows, cols}, s = {rs, cs};
    return dnnl_memory_desc_init_by_strides(md, 2, d, dnnl_f32, s);
}

fr_status cpu_matmul_create(cpu_ctx *c, cpu_matmul *mm, const cpu_matmul_shape *sh, int nthr, const char *what,
                            fr_err *err)
{
    memset(mm, 0, sizeof *mm);
    dnnl_memory_desc_t a, b, d;
    CPU_CHECK(strided(&a, sh->m, sh->k, sh->lda, 1), what);
    CPU_CHECK(sh->b_trans ? strided(&b, sh->k, sh->n, 1, sh->ldb) : strided(&b, sh->k, sh->n, sh->ldb, 1), what);
    CPU_CHECK(strided(&d, sh->m, sh->n, sh->ldc, 1), what);
    dnnl_matmul_desc_t md;
    CPU_CHECK(dnnl_matmul_desc_init(&md, &a, &b, NULL, &d), what);
    dnnl_primitive_attr_t attr;
    CPU_CHECK(dnnl_primitive_attr_create(&attr), what);
    dnnl_post_ops_t po = NULL;
    dnnl_status_t s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success && c->bf16)
        s = dnnl_primitive_attr_set_fpmath_mode(attr, dnnl_fpmath_mode_bf16);
    if (s == dnnl_success && sh->alpha != 1.0f)
        s = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &sh->alpha);
    if (s == dnnl_success && sh->accumulate && (s = dnnl_post_ops_create(&po)) == dnnl_success &&
        (s = dnnl_post_ops_append_sum(po, 1.0f)) == dnnl_success)
        s = dnnl_primitive_attr_set_post_ops(attr, po);
    dnnl_primitive_desc_t pd = NULL;
    int saved = omp_get_max_threads();
    omp_set_num_threads(1); /* plan for one thread: the same kernel whatever --threads */
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(&pd, &md, attr, c->eng, NULL);
    omp_set_num_threads(saved);
    if (po)
        dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    CPU_CHECK(s, what);
    if (cpu_pd_is_reference(pd)) {
        dnnl_primitive_desc_destroy(pd);
        return fr_err_set(err, FR_ERR_BACKEND, "%s: oneDNN has only a reference matmul", what);
    }
    const dnnl_memory_desc_t *spmd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    mm->scratch_bytes = spmd ? (dnnl_memory_desc_get_size(spmd) + 63) / 64 * 64 : 0;
    mm->nthr = nthr;
    s = dnnl_primitive_create(&mm->prim, pd);
    mm->t = calloc((size_t)nthr, sizeof *mm->t);
    mm->scratch = mm->scratch_bytes ? aligned_alloc(64, mm->scratch_bytes * nthr) : NULL;
    if (s == dnnl_success && (!mm->t || (mm->scratch_bytes && !mm->scratch)))
        s = dnnl_out_of_memory;
    for (int i = 0; s == dnnl_success && i < nthr; i++) {
        cpu_matmul_thread *t = &mm->t[i];
        s = dnnl_stream_create(&t->stream, c->eng, dnnl_stream_default_flags);
        if (s == dnnl_success)
            s = dnnl_memory_create(&t->a, &a, c->eng, DNNL_MEMORY_NONE);
        if (s == dnnl_success)
            s = dnnl_memory_create(&t->b, &b, c->eng, DNNL_MEMORY_NONE);
        if (s == dnnl_success)
            s = dnnl_memory_create(&t->d, &d, c->eng, DNNL_MEMORY_NONE);
        if (s == dnnl_success && mm->scratch_bytes)
            s = dnnl_memory_create(&t->scratch, spmd, c->eng, (char *)mm->scratch + mm->scratch_bytes * i);
    }
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) {
        cpu_matmul_destroy(mm);
        return cpu_check(s, "dnnl_primitive_create", what, err);
    }
    return FR_OK;
}

dnnl_status_t cpu_matmul_run(cpu_matmul *mm, int thread, const float *a, const float *b, float *d)
{
    cpu_matmul_thread *t = &mm->t[thread];
    dnnl_status_t s = dnnl_memory_set_data_handle(t->a, (void *)a);
    if (s == dnnl_success)
        s = dnnl_memory_set_data_handle(t->b, (void *)b);
    if (s == dnnl_success)
        s = dnnl_memory_set_data_handle(t->d, d);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, t->a}, {DNNL_ARG_WEIGHTS, t->b}, {DNNL_ARG_DST, t->d},
                               {DNNL_ARG_SCRATCHPAD, t->scratch}};
    if (s == dnnl_success)
        s = dnnl_primitive_execute(mm->prim, t->stream, t->scratch ? 4 : 3, args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(t->stream);
    return s;
}

void cpu_matmul_destroy(cpu_matmul *mm)
{
    if (mm->prim)
        dnnl_primitive_destroy(mm->prim);
    for (int i = 0; mm->t && i < mm->nthr; i++) {
        cpu_matmul_thread *t = &mm->t[i];
        if (t->a)
            dnnl_memory_destroy(t->a);
        if (t->b)
            dnnl_memory_destroy(t->b);
        if (t->d)
            dnnl_memory_destroy(t->d);
        if (t->scratch)
            dnnl_memory_destroy(t->scratch);
        if (t->stream)
            dnnl_stream_destroy(t->stream);
    }
    free(mm->t);
    free(mm->scratch);
    memset(mm, 0, sizeof *mm);
}
