package dev.engram.engine.cuda;

/**
 * Maps a row-major GEMM onto column-major cuBLAS. A row-major {@code m x n} matrix with leading
 * dimension {@code ld} is, read column-major, its {@code n x m} transpose with the same leading
 * dimension. So {@code C = op(A) op(B)} (row-major) is {@code C^T = op(B)^T op(A)^T}
 * (column-major): swap the operands and the dimensions m and n, keep each operand's own
 * transpose flag and leading dimension.
 *
 * @param transFirst  whether cuBLAS transposes its first operand (the row-major B)
 * @param transSecond whether cuBLAS transposes its second operand (the row-major A)
 * @param m           cuBLAS m (rows of the column-major result) = row-major n
 * @param n           cuBLAS n = row-major m
 * @param k           the shared dimension
 * @param ldFirst     leading dimension of the first operand (the row-major ldb)
 * @param ldSecond    leading dimension of the second operand (the row-major lda)
 * @param ldc         leading dimension of C (unchanged)
 */
public record GemmMapping(boolean transFirst, boolean transSecond, int m, int n, int k, int ldFirst, int ldSecond,
                          int ldc) {
    /** The column-major call for row-major {@code C[m,n] = op(A) op(B)}. */
    public static GemmMapping ofRowMajor(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k);
        int aCols = transA ? m : k, bCols = transB ? k : n;
        if (lda < Math.max(1, aCols) || ldb < Math.max(1, bCols) || ldc < Math.max(1, n)) {
            throw new IllegalArgumentException("gemm: leading dimensions lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
                    + " too small for " + (transA ? "A^T" : "A") + " x " + (transB ? "B^T" : "B") + " with m=" + m
                    + " n=" + n + " k=" + k);
        }
        return new GemmMapping(transB, transA, n, m, k, ldb, lda, ldc);
    }

    /** Elements spanned by a row-major {@code rows x cols} matrix with leading dimension {@code ld}. */
    public static long span(int rows, int cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
    }
}
