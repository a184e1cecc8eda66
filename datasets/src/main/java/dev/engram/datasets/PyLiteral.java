package dev.engram.datasets;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parser for the small subset of Python literals that an NPY header is written in: dicts, tuples, lists, strings
 * ({@code '...'} or {@code "..."} with backslash escapes), integers (with an optional Python 2 {@code L} suffix),
 * {@code True}, {@code False} and {@code None}. Values map to {@link Map} (insertion order), {@link List} (tuples and
 * lists), {@link String}, {@link BigInteger}, {@link Boolean} and {@link #NONE}. A dict key given twice is an error
 * (numpy's {@code literal_eval} would silently keep the last one). Package-private helper of {@link NpyReader}.
 */
final class PyLiteral {
    /** Python's {@code None}. */
    static final Object NONE = new Object() {
        @Override public String toString() { return "None"; }
    };
    private static final int MAX_DEPTH = 32;

    /** A syntax error at character {@code index} of the text. */
    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;
        final int index;

        SyntaxError(int index, String message) {
            super(message + " at character " + index);
            this.index = index;
        }
    }

    private final String s;
    private int i;

    private PyLiteral(String s) {
        this.s = s;
    }

    /** Parses {@code text} as one literal, allowing surrounding whitespace only. */
    static Object parse(String text) throws SyntaxError {
        PyLiteral p = new PyLiteral(text);
        Object v = p.value(0);
        p.ws();
        if (p.i != text.length()) throw new SyntaxError(p.i, "unexpected '" + text.charAt(p.i) + "' after the literal");
        return v;
    }

    private void ws() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n' || s.charAt(i) == '\r')) i++;
    }

    private Object value(int depth) throws SyntaxError {
        if (depth > MAX_DEPTH) throw new SyntaxError(i, "literal nested deeper than " + MAX_DEPTH);
        ws();
        if (i >= s.length()) throw new SyntaxError(i, "unexpected end of header");
        char c = s.charAt(i);
        switch (c) {
            case '{': return dict(depth);
            case '(': return sequence(depth, ')');
            case '[': return sequence(depth, ']');
            case '\'': case '"': return string();
            default:
                if (c == '-' || c == '+' || (c >= '0' && c <= '9')) return integer();
                if (Character.isLetter(c)) return word();
                throw new SyntaxError(i, "unexpected '" + c + "'");
        }
    }

    private Map<Object, Object> dict(int depth) throws SyntaxError {
        Map<Object, Object> m = new LinkedHashMap<>();
        i++; // {
        while (true) {
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return Collections.unmodifiableMap(m);
            }
            int keyAt = i;
            Object key = value(depth + 1);
            if (key instanceof Map || key instanceof List) throw new SyntaxError(keyAt, "unhashable dict key");
            ws();
            expect(':');
            Object v = value(depth + 1);
            if (m.containsKey(key)) throw new SyntaxError(keyAt, "duplicate key " + repr(key));
            m.put(key, v);
            ws();
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
            } else if (i >= s.length() || s.charAt(i) != '}') {
                throw new SyntaxError(i, "expected ',' or '}'");
            }
        }
    }

    /** A tuple or list; a tuple of one element needs its trailing comma, as in Python. */
    private List<Object> sequence(int depth, char close) throws SyntaxError {
        int start = i;
        i++;
        List<Object> out = new ArrayList<>();
        boolean comma = false;
        while (true) {
            ws();
            if (i < s.length() && s.charAt(i) == close) {
                i++;
                if (close == ')' && out.size() == 1 && !comma) {
                    throw new SyntaxError(start, "a parenthesized value, not a tuple (a 1-tuple needs a trailing comma)");
                }
                return Collections.unmodifiableList(out);
            }
            out.add(value(depth + 1));
            ws();
            comma = false;
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
                comma = true;
            } else if (i >= s.length() || s.charAt(i) != close) {
                throw new SyntaxError(i, "expected ',' or '" + close + "'");
            }
        }
    }

    private String string() throws SyntaxError {
        char q = s.charAt(i++);
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= s.length() || s.charAt(i) == '\n') throw new SyntaxError(i, "unterminated string");
            char c = s.charAt(i++);
            if (c == q) return sb.toString();
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (i >= s.length()) throw new SyntaxError(i, "unterminated string");
            char e = s.charAt(i++);
            switch (e) {
                case '\\', '\'', '"' -> sb.append(e);
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '0' -> sb.append('\0');
                case 'x' -> {
                    if (i + 2 > s.length()) throw new SyntaxError(i, "truncated \\x escape");
                    try {
                        sb.append((char) Integer.parseInt(s.substring(i, i + 2), 16));
                    } catch (NumberFormatException ex) {
                        throw new SyntaxError(i, "bad \\x escape");
                    }
                    i += 2;
                }
                default -> throw new SyntaxError(i - 1, "unsupported escape \\" + e);
            }
        }
    }

    private BigInteger integer() throws SyntaxError {
        int start = i;
        if (s.charAt(i) == '-' || s.charAt(i) == '+') i++;
        int digits = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
        if (i == digits) throw new SyntaxError(start, "expected digits");
        if (i - digits > 40) throw new SyntaxError(start, "integer with more than 40 digits");
        BigInteger v = new BigInteger(s.substring(start, i));
        if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) i++; // Python 2 long
        if (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
            throw new SyntaxError(i, "not an integer (only integers are supported)");
        }
        return v;
    }

    private Object word() throws SyntaxError {
        int start = i;
        while (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) i++;
        String w = s.substring(start, i);
        return switch (w) {
            case "True" -> Boolean.TRUE;
            case "False" -> Boolean.FALSE;
            case "None" -> NONE;
            default -> throw new SyntaxError(start, "unknown name '" + w + "'");
        };
    }

    private void expect(char c) throws SyntaxError {
        if (i >= s.length() || s.charAt(i) != c) throw new SyntaxError(i, "expected '" + c + "'");
        i++;
    }

    /** Python-like representation of a parsed value, for messages. */
    static String repr(Object v) {
        if (v instanceof String str) return "'" + str + "'";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("(");
            for (int k = 0; k < l.size(); k++) sb.append(k > 0 ? ", " : "").append(repr(l.get(k)));
            return sb.append(l.size() == 1 ? ",)" : ")").toString();
        }
        return String.valueOf(v);
    }
}
