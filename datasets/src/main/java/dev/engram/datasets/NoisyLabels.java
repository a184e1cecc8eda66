package dev.engram.datasets;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Labels after corruption plus the bookkeeping every analysis needs to split clean / noisy examples. Index
 * {@code i} is the original example index (position in the training file). Also used for the "atypical examples"
 * variant ({@link AtypicalMask}), where labels are unchanged and the mask marks low-C-score examples.
 *
 * <p><b>Text format</b> ({@link #save}/{@link #load}), UTF-8:
 * <pre>
 * # engram-noisy-labels v1 seed=&lt;long&gt; fraction=&lt;double&gt; n=&lt;N&gt; flagged=&lt;count&gt;
 * index,original,noisy,is_noisy
 * 0,5,5,0
 * 1,0,7,1
 * …
 * </pre>
 * one row per example in index order; {@code is_noisy} is 0 or 1. Files are written atomically (temp file in the
 * same directory, then rename).
 *
 * @param noisyLabels    labels to train on (corrupted where the mask is set)
 * @param originalLabels labels from the dataset file
 * @param mask           {@code mask[i]} true when example i is noisy (or atypical)
 * @param fraction       requested noise fraction (for {@link AtypicalMask}: the flagged fraction)
 * @param seed           RNG seed used (0 for {@link AtypicalMask})
 */
public record NoisyLabels(int[] noisyLabels, int[] originalLabels, boolean[] mask, double fraction, long seed) {

    /** Checks lengths and consistency (a label differs from the original only where the mask is set). */
    public NoisyLabels {
        if (noisyLabels.length != originalLabels.length || mask.length != noisyLabels.length) {
            throw new IllegalArgumentException("length mismatch");
        }
        for (int i = 0; i < mask.length; i++) {
            if (!mask[i] && noisyLabels[i] != originalLabels[i]) {
                throw new IllegalArgumentException("example " + i + " changed label but is not marked noisy");
            }
        }
        noisyLabels = noisyLabels.clone();
        originalLabels = originalLabels.clone();
        mask = mask.clone();
    }

    /** A copy of the labels to train on. */
    @Override public int[] noisyLabels() { return noisyLabels.clone(); }

    /** A copy of the labels of the dataset file. */
    @Override public int[] originalLabels() { return originalLabels.clone(); }

    /** A copy of the noisy (or atypical) mask. */
    @Override public boolean[] mask() { return mask.clone(); }

    /** Number of examples. */
    public int size() { return mask.length; }

    /** True when example {@code i} is noisy (or atypical). */
    public boolean isNoisy(int i) { return mask[i]; }

    /** The mask as 0/1 ints. */
    public int[] maskAsInts() {
        int[] r = new int[mask.length];
        for (int i = 0; i < r.length; i++) r[i] = mask[i] ? 1 : 0;
        return r;
    }

    /** Number of noisy examples. */
    public int noisyCount() {
        int n = 0;
        for (boolean b : mask) if (b) n++;
        return n;
    }

    /** Sorted indices of noisy examples. */
    public int[] noisyIndices() { return select(true); }

    /** Sorted indices of clean examples. */
    public int[] cleanIndices() { return select(false); }

    private int[] select(boolean noisy) {
        int n = 0;
        for (boolean b : mask) if (b == noisy) n++;
        int[] r = new int[n];
        int k = 0;
        for (int i = 0; i < mask.length; i++) if (mask[i] == noisy) r[k++] = i;
        return r;
    }

    /** Applies the noisy labels to {@code train} (which must be the unsubsetted dataset they were made for). */
    public Dataset applyTo(Dataset train) {
        if (train.size() != size()) {
            throw new IllegalArgumentException("dataset has " + train.size() + " examples, labels " + size());
        }
        return train.withLabels(noisyLabels);
    }

    /** Writes the documented CSV format atomically, with the file mode of other files the process creates. */
    public void save(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // not Files.createTempFile: its files are private (0600); this one gets the usual mode (0644 under umask 022)
        Path tmp = dir.resolve("." + file.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                w.write(String.format(Locale.ROOT, "# engram-noisy-labels v1 seed=%d fraction=%s n=%d flagged=%d%n",
                        seed, Double.toString(fraction), size(), noisyCount()));
                w.write("index,original,noisy,is_noisy\n");
                StringBuilder sb = new StringBuilder(32);
                for (int i = 0; i < size(); i++) {
                    sb.setLength(0);
                    sb.append(i).append(',').append(originalLabels[i]).append(',').append(noisyLabels[i]).append(',')
                            .append(mask[i] ? '1' : '0').append('\n');
                    w.write(sb.toString());
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads a file written by {@link #save}, validating header, row order and counts. */
    public static NoisyLabels load(Path file) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String h = r.readLine();
            long off = 0;
            if (h == null || !h.startsWith("# engram-noisy-labels v1 ")) {
                throw new DatasetFormatException(file.toString(), 0, "header '# engram-noisy-labels v1 …'",
                        String.valueOf(h));
            }
            long seed = 0;
            double fraction = 0;
            int n = -1, flagged = -1;
            for (String kv : h.substring(h.indexOf("v1 ") + 3).trim().split("\\s+")) {
                String[] p = kv.split("=", 2);
                if (p.length != 2) continue;
                switch (p[0]) {
                    case "seed" -> seed = Long.parseLong(p[1]);
                    case "fraction" -> fraction = Double.parseDouble(p[1]);
                    case "n" -> n = Integer.parseInt(p[1]);
                    case "flagged" -> flagged = Integer.parseInt(p[1]);
                    default -> { }
                }
            }
            if (n < 0 || flagged < 0) {
                throw new DatasetFormatException(file.toString(), 0, "n=… and flagged=… in the header", h);
            }
            off += h.length() + 1;
            // each row takes at least 8 bytes ("0,0,0,0\n"): a declared n the file cannot hold is refused before the
            // arrays are allocated (a hostile n=2000000000 would otherwise ask for 18 GB)
            long size = Files.size(file);
            if (n > size / 8) {
                throw new DatasetFormatException(file.toString(), 0, "n=" + n + " rows of at least 8 bytes each",
                        "a file of " + size + " bytes (truncated, or n is wrong)");
            }
            String cols = r.readLine();
            if (!"index,original,noisy,is_noisy".equals(cols)) {
                throw new DatasetFormatException(file.toString(), off, "column line 'index,original,noisy,is_noisy'",
                        String.valueOf(cols));
            }
            off += cols.length() + 1;
            int[] orig = new int[n], noisy = new int[n];
            boolean[] mask = new boolean[n];
            for (int i = 0; i < n; i++) {
                String line = r.readLine();
                if (line == null) {
                    throw new DatasetFormatException(file.toString(), off, n + " rows", i + " rows (truncated)");
                }
                String[] f = line.split(",");
                if (f.length != 4 || Integer.parseInt(f[0]) != i || !(f[3].equals("0") || f[3].equals("1"))) {
                    throw new DatasetFormatException(file.toString(), off, "row '" + i + ",<int>,<int>,<0|1>'", line);
                }
                orig[i] = Integer.parseInt(f[1]);
                noisy[i] = Integer.parseInt(f[2]);
                mask[i] = f[3].equals("1");
                off += line.length() + 1;
            }
            String extra = r.readLine();
            if (extra != null && !extra.isEmpty()) {
                throw new DatasetFormatException(file.toString(), off, "end of file after " + n + " rows", extra);
            }
            NoisyLabels nl = new NoisyLabels(noisy, orig, mask, fraction, seed);
            if (nl.noisyCount() != flagged) {
                throw new DatasetFormatException(file.toString(), 0, "flagged=" + flagged + " rows with is_noisy=1",
                        nl.noisyCount() + " rows");
            }
            return nl;
        } catch (NumberFormatException e) {
            throw new DatasetFormatException(file.toString(), -1, "integers in every field", e.getMessage());
        }
    }
}
