package dev.engram.memorization.sweep;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One axis of a sweep: one key (a config field such as {@code noiseFraction}, or an analysis option such as
 * {@code etd.grid}) with its values, or several zipped keys ({@code a/b}) whose values go together, one tuple per
 * point.
 *
 * @param keys   the keys; more than one for a zipped axis
 * @param points the points of the axis, each one value per key
 */
public record Axis(List<String> keys, List<List<Object>> points) {
    /** Copies; every point has one value per key. */
    public Axis {
        keys = List.copyOf(keys);
        points = points.stream().map(p -> java.util.Collections.unmodifiableList(new ArrayList<>(p))).toList();
        if (points.isEmpty()) throw new IllegalArgumentException("sweep axis " + String.join("/", keys) + " has no values");
        for (List<Object> p : points) {
            if (p.size() != keys.size()) {
                throw new IllegalArgumentException("sweep axis " + String.join("/", keys) + ": point " + p + " has "
                        + p.size() + " values, expected " + keys.size() + " (one per key)");
            }
        }
    }

    /**
     * Parses the axis {@code key} of a sweep file: a list of values; a range {@code {from, to, step}} (both ends
     * included when {@code to} lies on the grid) or {@code {from, to, count}} (evenly spaced, both ends included);
     * for a zipped key {@code a/b}, a list of lists, one value per key.
     */
    public static Axis parse(String key, Object value) {
        List<String> keys = List.of(key.split("/", -1));
        for (String k : keys) if (k.isBlank()) throw new IllegalArgumentException("sweep axis '" + key + "' has an empty key");
        List<List<Object>> points = new ArrayList<>();
        if (keys.size() > 1) {
            if (!(value instanceof List<?> l)) {
                throw new IllegalArgumentException("sweep axis '" + key + "' zips " + keys.size()
                        + " keys: expected a list of lists such as [[0.2, 0.1], [0.4, 0.2]], got " + value);
            }
            for (Object p : l) {
                if (!(p instanceof List<?> tuple)) {
                    throw new IllegalArgumentException("sweep axis '" + key + "': point " + p + " is not a list of "
                            + keys.size() + " values");
                }
                points.add(new ArrayList<>(tuple));
            }
        } else if (value instanceof List<?> l) {
            for (Object v : l) points.add(List.of(scalar(key, v)));
        } else if (value instanceof Map<?, ?> m) {
            for (Object v : range(key, m)) points.add(List.of(v));
        } else {
            points.add(List.of(scalar(key, value)));
        }
        return new Axis(keys, points);
    }

    private static Object scalar(String key, Object v) {
        if (v == null || v instanceof Map || v instanceof List) {
            throw new IllegalArgumentException("sweep axis '" + key + "': value " + v + " is not a number, string or boolean");
        }
        return v;
    }

    /** The values of a range; decimal arithmetic, so that 0.1 steps give 0.3 and not 0.30000000000000004. */
    static List<Object> range(String key, Map<?, ?> m) {
        for (Object k : m.keySet()) {
            if (!List.of("from", "to", "step", "count").contains(k)) {
                throw new IllegalArgumentException("sweep axis '" + key + "': unknown range key '" + k
                        + "'; a range is {from, to, step} or {from, to, count}");
            }
        }
        if (!(m.get("from") instanceof Number from) || !(m.get("to") instanceof Number to)) {
            throw new IllegalArgumentException("sweep axis '" + key + "': a range needs numbers 'from' and 'to', got " + m);
        }
        boolean hasStep = m.containsKey("step"), hasCount = m.containsKey("count");
        if (hasStep == hasCount) {
            throw new IllegalArgumentException("sweep axis '" + key + "': a range needs exactly one of 'step' and 'count', got " + m);
        }
        boolean integers = from instanceof Long && to instanceof Long;
        BigDecimal a = new BigDecimal(from.toString()), b = new BigDecimal(to.toString());
        List<Object> out = new ArrayList<>();
        if (hasStep) {
            if (!(m.get("step") instanceof Number step) || new BigDecimal(step.toString()).signum() <= 0) {
                throw new IllegalArgumentException("sweep axis '" + key + "': 'step' must be a number > 0, got " + m.get("step"));
            }
            integers &= step instanceof Long;
            BigDecimal s = new BigDecimal(step.toString());
            if (b.compareTo(a) < 0) throw new IllegalArgumentException("sweep axis '" + key + "': 'to' " + to + " is below 'from' " + from);
            for (BigDecimal x = a; x.compareTo(b) <= 0; x = x.add(s)) {
                out.add(integers ? (Object) x.longValueExact() : (Object) x.doubleValue());
                if (out.size() > 100_000) throw new IllegalArgumentException("sweep axis '" + key + "': more than 100000 values");
            }
        } else {
            if (!(m.get("count") instanceof Long count) || count < 1) {
                throw new IllegalArgumentException("sweep axis '" + key + "': 'count' must be an integer >= 1, got " + m.get("count"));
            }
            double[] xs = new double[(int) Math.min(count, 100_001)];
            if (count > 100_000) throw new IllegalArgumentException("sweep axis '" + key + "': more than 100000 values");
            boolean whole = integers;
            for (int i = 0; i < count; i++) {
                xs[i] = count == 1 ? a.doubleValue() : a.doubleValue() + (b.doubleValue() - a.doubleValue()) * i / (count - 1);
                whole &= xs[i] == Math.rint(xs[i]);
            }
            for (double x : xs) out.add(whole ? (Object) (long) x : (Object) x); // one type per axis
        }
        return out;
    }

    /** Number of points. */
    public int size() {
        return points.size();
    }
}
