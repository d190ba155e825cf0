/* Compiled kernels for autovec's hot paths (optional: autovec/vector.py falls back to numpy).

   distances(metric, rows, query, count) is VEC_<metric>_DISTANCE of each row of a C-contiguous
   float32 matrix to a float32 query, bit for bit what autovec.vector computes row by row:
   float32 products summed left to right in float32 (TiDB's Go loops), finished in double.
   Rows are processed BLOCK at a time with the dimensions as the outer loop, so the
   BLOCK running sums are independent chains the CPU overlaps; each chain still adds in
   index order, which is what makes the result exact. Build with -ffp-contract=off: a
   fused multiply-add would skip the rounding of each product.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

enum { COSINE = 0, L2 = 1, NEGATIVE_INNER_PRODUCT = 2, L1 = 3 };
#define BLOCK 8

static PyObject *optional_float(double value) {
    if (isnan(value)) {
        Py_RETURN_NONE;
    }
    return PyFloat_FromDouble(value);
}

static PyObject *cosine_from_sums(double dot, double norm_a, double norm_b) {
    double denominator = sqrt(norm_a * norm_b);
    double similarity;
    if (denominator == 0.0) {
        if (dot == 0.0 || isnan(dot)) {
            Py_RETURN_NONE;
        }
        similarity = copysign(INFINITY, dot);
    } else {
        similarity = dot / denominator;
    }
    if (isnan(similarity)) {
        Py_RETURN_NONE;
    }
    if (similarity < -1.0) similarity = -1.0;
    if (similarity > 1.0) similarity = 1.0;
    return PyFloat_FromDouble(1.0 - similarity);
}

/* Sums for rows [0, count) of a block; count <= BLOCK. The first element starts each
   sum (as numpy's accumulate does), so a sum of -0.0 values stays -0.0. One loop per
   metric keeps the inner loop free of branches. */
#define BLOCK_SUMS(FIRST, SECOND)                                                   \
    for (Py_ssize_t r = 0; r < count; r++) {                                        \
        const float xi = rows[r][0], qi = q[0];                                     \
        (void)qi;                                                                   \
        first_sums[r] = (FIRST);                                                    \
        second_sums[r] = (SECOND);                                                  \
    }                                                                               \
    for (Py_ssize_t i = 1; i < dims; i++) {                                         \
        const float qi = q[i];                                                      \
        for (Py_ssize_t r = 0; r < count; r++) {                                    \
            const float xi = rows[r][i];                                            \
            first_sums[r] += (FIRST);                                               \
            second_sums[r] += (SECOND);                                             \
        }                                                                           \
    }

static void block_sums(int metric, const float *const *rows, const float *q, Py_ssize_t dims,
                       Py_ssize_t count, float *first_sums, float *second_sums) {
    switch (metric) {
    case COSINE:
        BLOCK_SUMS(xi * qi, xi * xi)
        break;
    case L2:
        BLOCK_SUMS((xi - qi) * (xi - qi), 0.0f)
        break;
    case NEGATIVE_INNER_PRODUCT:
        BLOCK_SUMS(xi * qi, 0.0f)
        break;
    default:
        BLOCK_SUMS(fabsf(xi - qi), 0.0f)
    }
}

static PyObject *finish(int metric, float first, float second, float query_norm) {
    switch (metric) {
    case COSINE:
        return cosine_from_sums((double)first, (double)second, (double)query_norm);
    case L2:
        return optional_float(sqrt((double)first));
    case NEGATIVE_INNER_PRODUCT:
        return optional_float((double)first * -1.0);
    default:
        return optional_float((double)first);
    }
}

/* The rows come as one C-contiguous count x dims matrix, or as a tuple of count rows
   (what usearch's get_many returns), which saves joining them first. */
static PyObject *distances(PyObject *self, PyObject *args) {
    int metric;
    Py_ssize_t count;
    PyObject *rows_arg;
    Py_buffer matrix = {0}, query, row_views[BLOCK];
    if (!PyArg_ParseTuple(args, "iOy*n", &metric, &rows_arg, &query, &count)) {
        return NULL;
    }
    PyObject *result = NULL;
    int as_tuple = PyTuple_Check(rows_arg);
    Py_ssize_t dims = query.len / (Py_ssize_t)sizeof(float);
    Py_ssize_t row_bytes = dims * (Py_ssize_t)sizeof(float);
    if (metric < COSINE || metric > L1 || dims == 0 || query.len % sizeof(float) || count < 0 ||
        (as_tuple && PyTuple_GET_SIZE(rows_arg) != count)) {
        PyErr_SetString(PyExc_ValueError, "distances: rows must be count rows as wide as the query");
        goto done;
    }
    if (!as_tuple) {
        if (PyObject_GetBuffer(rows_arg, &matrix, PyBUF_C_CONTIGUOUS) < 0) {
            goto done;
        }
        if (matrix.len != count * row_bytes) {
            PyErr_SetString(PyExc_ValueError,
                            "distances: rows must be count rows as wide as the query");
            goto done;
        }
    }
    const float *q = (const float *)query.buf;
    float query_norm = q[0] * q[0];
    for (Py_ssize_t i = 1; i < dims; i++) {
        query_norm += q[i] * q[i];
    }
    result = PyList_New(count);
    if (result == NULL) {
        goto done;
    }
    float first[BLOCK], second[BLOCK];
    const float *row_data[BLOCK];
    for (Py_ssize_t start = 0; start < count; start += BLOCK) {
        Py_ssize_t size = count - start < BLOCK ? count - start : BLOCK, held = 0;
        int failed = 0;
        for (Py_ssize_t r = 0; r < size; r++) {
            if (!as_tuple) {
                row_data[r] = (const float *)matrix.buf + (start + r) * dims;
                continue;
            }
            PyObject *row = PyTuple_GET_ITEM(rows_arg, start + r);
            if (PyObject_GetBuffer(row, &row_views[r], PyBUF_C_CONTIGUOUS) < 0) {
                failed = 1;
                break;
            }
            held++;
            if (row_views[r].len != row_bytes) {
                PyErr_SetString(PyExc_ValueError,
                                "distances: rows must be count rows as wide as the query");
                failed = 1;
                break;
            }
            row_data[r] = (const float *)row_views[r].buf;
        }
        if (!failed) {
            block_sums(metric, row_data, q, dims, size, first, second);
        }
        for (Py_ssize_t r = 0; r < held; r++) {
            PyBuffer_Release(&row_views[r]);
        }
        if (failed) {
            Py_CLEAR(result);
            goto done;
        }
        for (Py_ssize_t r = 0; r < size; r++) {
            PyObject *value = finish(metric, first[r], second[r], query_norm);
            if (value == NULL) {
                Py_CLEAR(result);
                goto done;
            }
            PyList_SET_ITEM(result, start + r, value);
        }
    }
done:
    if (matrix.obj != NULL) {
        PyBuffer_Release(&matrix);
    }
    PyBuffer_Release(&query);
    return result;
}

static PyObject *first_non_finite(PyObject *self, PyObject *args) {
    Py_buffer values;
    if (!PyArg_ParseTuple(args, "y*", &values)) {
        return NULL;
    }
    const float *data = (const float *)values.buf;
    Py_ssize_t count = values.len / (Py_ssize_t)sizeof(float), found = -1;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (!isfinite(data[i])) {
            found = i;
            break;
        }
    }
    PyBuffer_Release(&values);
    return PyLong_FromSsize_t(found);
}

static PyMethodDef methods[] = {
    {"first_non_finite", first_non_finite, METH_VARARGS,
     "first_non_finite(values) -> int: the index of the first NaN or infinite float32, or -1."},
    {"distances", distances, METH_VARARGS,
     "distances(metric, rows, query, count) -> list[float | None]: TiDB's distance of each of "
     "count float32 rows (a matrix, or a tuple of rows) to the query (metric 0 cosine, 1 L2, "
     "2 negative inner product, 3 L1)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "autovec._kernels", "Compiled kernels for autovec's hot paths.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
