package dev.engram.nn.train;

import java.util.Locale;

/**
 * Formatting of learning rates for progress lines: fixed point for ordinary values, scientific
 * notation for tiny or huge ones, so a rate of {@code 3e38} prints as {@code 3.000e+38} instead of
 * a 39-digit number. The result is at most 11 characters long for every double.
 */
public final class LearningRates {
    private LearningRates() {}

    /**
     * {@code 0.05000}, {@code 12.50000}, {@code 0.00000} for zero; {@code 1.000e-07},
     * {@code 3.000e+38}, {@code NaN}, {@code Infinity} otherwise.
     */
    public static String format(double lr) {
        double a = Math.abs(lr);
        if (lr == 0 || (a >= 1e-3 && a < 1e3)) return String.format(Locale.ROOT, "%.5f", lr);
        if (!Double.isFinite(lr)) return Double.toString(lr);
        return String.format(Locale.ROOT, "%.3e", lr);
    }
}
