package dev.engram.memorization.io;

import dev.engram.nn.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A table with a header row, written as RFC 4180 CSV: fields separated by commas, records ended by CRLF, a field
 * quoted with double quotes when it contains a comma, a double quote, CR or LF, and quotes inside doubled.
 * Numbers are written with {@link Double#toString(double)} / {@link Float#toString(float)} (locale independent,
 * shortest form that reads back exactly); non-finite values as {@code NaN}, {@code Infinity}, {@code -Infinity}.
 */
public final class CsvTable {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    /** A table with the given column names (at least one, none null). */
    public CsvTable(List<String> header) {
        if (header.isEmpty()) throw new IllegalArgumentException("a CSV table needs at least one column");
        for (String h : header) if (h == null) throw new IllegalArgumentException("null column name in " + header);
        this.header = List.copyOf(header);
    }

    /** A table with the given column names. */
    public CsvTable(String... header) {
        this(List.of(header));
    }

    /** Column names. */
    public List<String> header() {
        return header;
    }

    /** Rows as strings, in insertion order (unmodifiable). */
    public List<List<String>> rows() {
        return Collections.unmodifiableList(rows);
    }

    /** Number of data rows. */
    public int rowCount() {
        return rows.size();
    }

    /**
     * Appends a row; values are formatted with {@link #format(Object)}.
     *
     * @throws IllegalArgumentException when the number of values differs from the number of columns
     */
    public CsvTable addRow(Object... values) {
        if (values.length != header.size()) {
            throw new IllegalArgumentException("CSV row has " + values.length + " values but the table has "
                    + header.size() + " columns " + header);
        }
        List<String> row = new ArrayList<>(values.length);
        for (Object v : values) row.add(format(v));
        rows.add(Collections.unmodifiableList(row));
        return this;
    }

    /** Formats one value: null as empty, numbers locale-independently, everything else by {@code toString}. */
    public static String format(Object v) {
        if (v == null) return "";
        if (v instanceof Double d) return Double.toString(d);
        if (v instanceof Float f) return Float.toString(f);
        return v.toString();
    }

    /** The CSV text (header + rows, CRLF line ends). */
    public String toCsv() {
        StringBuilder sb = new StringBuilder();
        appendRecord(sb, header);
        for (List<String> r : rows) appendRecord(sb, r);
        return sb.toString();
    }

    /** Writes the table atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toCsv());
    }

    private static void appendRecord(StringBuilder sb, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(quote(fields.get(i)));
        }
        sb.append("\r\n");
    }

    /** Quotes a field when RFC 4180 requires it. */
    public static String quote(String field) {
        boolean needs = false;
        for (int i = 0; i < field.length() && !needs; i++) {
            char c = field.charAt(i);
            needs = c == ',' || c == '"' || c == '\r' || c == '\n';
        }
        if (!needs) return field;
        return '"' + field.replace("\"", "\"\"") + '"';
    }

    /** Reads a CSV file written by {@link #write} (or any RFC 4180 file with a header row). */
    public static CsvTable read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses RFC 4180 text whose first record is the header; accepts LF or CRLF line ends.
     *
     * @param source name used in error messages
     * @throws IOException when a quoted field is not closed or a record has the wrong number of fields
     */
    public static CsvTable parse(String text, String source) throws IOException {
        List<List<String>> records = new ArrayList<>();
        List<String> rec = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0, n = text.length();
        boolean any = false;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '"' && field.length() == 0) {
                int start = i;
                i++;
                while (true) {
                    if (i >= n) throw new IOException(source + ": unclosed quoted field starting at offset " + start);
                    char q = text.charAt(i);
                    if (q == '"') {
                        if (i + 1 < n && text.charAt(i + 1) == '"') {
                            field.append('"');
                            i += 2;
                        } else {
                            i++;
                            break;
                        }
                    } else {
                        field.append(q);
                        i++;
                    }
                }
                any = true;
            } else if (c == ',') {
                rec.add(field.toString());
                field.setLength(0);
                any = true;
                i++;
            } else if (c == '\r' || c == '\n') {
                rec.add(field.toString());
                field.setLength(0);
                records.add(rec);
                rec = new ArrayList<>();
                any = false;
                i += (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') ? 2 : 1;
            } else {
                field.append(c);
                any = true;
                i++;
            }
        }
        if (any || field.length() > 0) {
            rec.add(field.toString());
            records.add(rec);
        }
        if (records.isEmpty()) throw new IOException(source + ": empty CSV file (no header row)");
        CsvTable t = new CsvTable(records.get(0));
        for (int r = 1; r < records.size(); r++) {
            List<String> row = records.get(r);
            if (row.size() != t.header.size()) {
                throw new IOException(source + ": record " + (r + 1) + " has " + row.size() + " fields, header has "
                        + t.header.size());
            }
            t.rows.add(Collections.unmodifiableList(row));
        }
        return t;
    }
}
