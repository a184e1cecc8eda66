package dev.engram.memorization.analysis;

/**
 * One of {@code count} deterministic slices of an analysis' per-example work ({@code --shard index/count}, 1-based).
 * The items (targets, examples) are cut into blocks of the analysis' batch size and shard {@code i} takes the
 * {@code i}-th contiguous run of blocks, so that every item is computed in the same batch as in an unsharded run and
 * the merged result is bit-identical to it.
 *
 * @param index this shard, 1..count
 * @param count number of shards
 */
public record Shard(int index, int count) {
    /** The whole work in one shard: what an unsharded run computes. */
    public static final Shard WHOLE = new Shard(1, 1);

    /** Validates. */
    public Shard {
        if (count < 1 || index < 1 || index > count) {
            throw new IllegalArgumentException("shard " + index + "/" + count + " is not i/n with 1 <= i <= n");
        }
    }

    /**
     * The shard a command line asks for ({@code --shard i/n} or {@code --shard=i/n}), or null when it gives none.
     *
     * @throws IllegalArgumentException as {@link #parse}
     */
    public static Shard in(java.util.List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--shard") && i + 1 < args.size()) return parse(args.get(i + 1));
            if (args.get(i).startsWith("--shard=")) return parse(args.get(i).substring("--shard=".length()));
        }
        return null;
    }

    /** Parses {@code i/n}, e.g. {@code 2/4}. */
    public static Shard parse(String s) {
        String[] p = s == null ? new String[0] : s.trim().split("/");
        int index, count;
        try {
            if (p.length != 2) throw new NumberFormatException();
            index = Integer.parseInt(p[0].trim());
            count = Integer.parseInt(p[1].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shard '" + s + "' is not i/n (e.g. 2/4: the second of four shards)");
        }
        if (count < 1 || index < 1 || index > count) {
            throw new IllegalArgumentException("--shard '" + s + "' is not i/n with 1 <= i <= n (e.g. 2/4: the second of"
                    + " four shards)");
        }
        return new Shard(index, count);
    }

    /** The folder suffix of this shard's part: {@code .shard-i-of-n}. */
    public String suffix() {
        return ".shard-" + index + "-of-" + count;
    }

    /**
     * The items {@code [from, to)} of this shard among {@code total} items cut into blocks of {@code block} items.
     */
    public int[] range(int total, int block) {
        if (block < 1) throw new IllegalArgumentException("block must be >= 1, got " + block);
        long blocks = (total + (long) block - 1) / block;
        long b0 = (index - 1) * blocks / count, b1 = index * blocks / count;
        return new int[] {(int) Math.min(total, b0 * block), (int) Math.min(total, b1 * block)};
    }

    /**
     * A note for a shard left without work, or null: {@code total} {@code items} make fewer blocks of {@code block}
     * than there are shards, so this shard's slice is empty while another does all the work.
     *
     * @param blockOption the option that sets the block size, for the hint
     */
    public String emptyNote(int total, int block, String items, String blockOption) {
        int[] r = range(total, block);
        if (r[1] > r[0] || total == 0) return null;
        long blocks = (total + (long) block - 1) / block;
        return "note: shard " + this + " has no " + items + ": the " + total + " " + items + " make " + blocks + " block(s) of "
                + block + " (" + blockOption + "), fewer than the " + count + " shards; use at most " + blocks
                + " shard(s) or a smaller " + blockOption;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
