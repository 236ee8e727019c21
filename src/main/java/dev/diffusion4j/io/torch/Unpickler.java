package dev.diffusion4j.io.torch;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted unpickler for pickle protocols 2 to 5 that builds only what state dicts are made of: dicts (also
 * collections.OrderedDict), lists, tuples, ints, floats, bools, None, strings, bytes, torch.Size and tensors rebuilt by
 * torch._utils' functions over storages named by persistent ids. It never calls anything: the allowed globals are
 * interpreted here, every other global is refused where it is read, naming it.
 *
 * <p>Values: {@code Map<Object,Object>} (insertion order), {@code List<Object>}, {@link PyTuple}, Long or BigInteger,
 * Double, Boolean, null, String, byte[], {@link TensorRef}. The interpreter is a loop over opcodes, never recursive;
 * every length is checked against the bytes left before anything is allocated, and each opcode adds at most one stack
 * entry or memo slot, so memory stays proportional to the pickle's size.
 */
final class Unpickler {
    /** Turns a persistent id (torch's storage tuple) into a {@link StorageRef}. */
    interface PersistentLoader {
        StorageRef load(Object pid) throws TorchCheckpointException;
    }

    private static final int MAX_GLOBAL_NAME = 256;
    private static final Object MARK = new Object();

    private final PickleInput in;
    private final PersistentLoader loader;
    private final List<Object> stack = new ArrayList<>();
    private final ArrayDeque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();

    Unpickler(PickleInput in, PersistentLoader loader) {
        this.in = in;
        this.loader = loader;
    }

    /** Reads one pickle up to and including its STOP opcode and returns the object it describes. */
    Object load() throws IOException {
        while (true) {
            long at = in.position();
            int op = in.read();
            switch (op) {
                case 0x80 -> { // PROTO
                    int p = in.read();
                    if (p > 5) throw error(at, "pickle protocol " + p + " is newer than this reader knows (2 to 5)");
                }
                case 0x95 -> in.read(8, "FRAME length"); // framing only groups opcodes; they are read as a stream anyway
                case '.' -> { // STOP
                    Object result = pop(at);
                    if (!stack.isEmpty() || !marks.isEmpty()) throw error(at, "STOP with " + stack.size() + " values left on the stack");
                    return result;
                }
                case '(' -> { marks.push(stack.size()); stack.add(MARK); }
                case '0' -> pop(at);
                case '1' -> popMark(at);
                case '2' -> push(peek(at));
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) le(in.read(4, "BININT")).getInt());
                case 'K' -> push((long) in.read());
                case 'M' -> push((long) (le(in.read(2, "BININT2")).getShort() & 0xffff));
                case 0x8a -> push(longOf(in.read(in.read(), "LONG1")));
                case 0x8b -> push(longOf(in.read(length4(at), "LONG4")));
                case 'G' -> push(ByteBuffer.wrap(in.read(8, "BINFLOAT")).order(ByteOrder.BIG_ENDIAN).getDouble());
                case 'X' -> push(utf8(in.read(length4(at), "BINUNICODE")));
                case 0x8c -> push(utf8(in.read(in.read(), "SHORT_BINUNICODE")));
                case 0x8d -> push(utf8(in.read(length8(at), "BINUNICODE8")));
                case 'T' -> push(new String(in.read(length4(at), "BINSTRING"), StandardCharsets.ISO_8859_1));
                case 'U' -> push(new String(in.read(in.read(), "SHORT_BINSTRING"), StandardCharsets.ISO_8859_1));
                case 'B' -> push(in.read(length4(at), "BINBYTES"));
                case 'C' -> push(in.read(in.read(), "SHORT_BINBYTES"));
                case 0x8e -> push(in.read(length8(at), "BINBYTES8"));
                case 0x96 -> push(in.read(length8(at), "BYTEARRAY8"));
                case ']' -> push(new ArrayList<>());
                case ')' -> push(new PyTuple(List.of()));
                case '}' -> push(new LinkedHashMap<>());
                case 'l' -> push(new ArrayList<>(popMark(at)));
                case 't' -> push(new PyTuple(popMark(at)));
                case 0x85 -> push(tupleOf(at, 1));
                case 0x86 -> push(tupleOf(at, 2));
                case 0x87 -> push(tupleOf(at, 3));
                case 'd' -> {
                    List<Object> items = popMark(at);
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putPairs(at, d, items);
                    push(d);
                }
                case 'a' -> {
                    Object v = pop(at);
                    list(at, peek(at)).add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark(at);
                    list(at, peek(at)).addAll(items);
                }
                case 's' -> {
                    Object v = pop(at), k = pop(at);
                    dict(at, peek(at)).put(key(at, k), v);
                }
                case 'u' -> {
                    List<Object> items = popMark(at);
                    putPairs(at, dict(at, peek(at)), items);
                }
                case 'q' -> memo.put((long) in.read(), peek(at));
                case 'r' -> memo.put(le(in.read(4, "LONG_BINPUT")).getInt() & 0xffffffffL, peek(at));
                case 0x94 -> memo.put((long) memo.size(), peek(at));
                case 'h' -> push(memoGet(at, in.read()));
                case 'j' -> push(memoGet(at, le(in.read(4, "LONG_BINGET")).getInt() & 0xffffffffL));
                case 'c' -> push(global(at, line(at), line(at)));
                case 0x93 -> {
                    Object name = pop(at), module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n))
                        throw error(at, "STACK_GLOBAL needs two strings, got " + typeName(module) + " and " + typeName(name));
                    push(global(at, m, n));
                }
                case 'R' -> {
                    Object args = pop(at), callable = pop(at);
                    push(reduce(at, callable, args));
                }
                case 'b' -> {
                    pop(at); // the state: an OrderedDict's attributes (state_dict's _metadata), not needed for tensors
                    Object target = peek(at);
                    if (!(target instanceof Map)) throw error(at, "BUILD (setting object state) on a " + typeName(target) + " is not allowed");
                }
                case 'Q' -> push(loader.load(pop(at)));
                default -> throw error(at, "opcode " + opcodeName(op) + " is not allowed in a state dict pickle"
                        + " (only protocols 2 to 5 and the opcodes for plain data and tensors are read)");
            }
        }
    }

    // ---- globals and calls: interpreted, never executed ----

    private PyGlobal global(long at, String module, String name) throws TorchCheckpointException {
        PyGlobal g = PyGlobal.resolve(module, name);
        if (g == null) {
            throw error(at, "refusing the Python global " + module + "." + name + ": a state dict holds only tensors, dicts,"
                    + " lists, numbers and strings, and this reader never runs code from a checkpoint. If you trust the"
                    + " file, load it in Python and save only the tensors (torch.save(model.state_dict(), ...) or safetensors)");
        }
        return g;
    }

    private Object reduce(long at, Object callable, Object argsObj) throws TorchCheckpointException {
        if (!(callable instanceof PyGlobal g)) throw error(at, "REDUCE calls a " + typeName(callable) + ", not an allowed global");
        if (!(argsObj instanceof PyTuple args)) throw error(at, "REDUCE of " + nameOf(callable) + " with " + typeName(argsObj) + " arguments, not a tuple");
        return switch (g.kind()) {
            case ORDERED_DICT -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        if (!(p instanceof PyTuple t) || t.size() != 2) throw error(at, "OrderedDict items must be (key, value) pairs");
                        d.put(key(at, t.get(0)), t.get(1));
                    }
                } else if (args.size() != 0) {
                    throw error(at, "OrderedDict called with " + args.size() + " arguments");
                }
                yield d;
            }
            case TORCH_SIZE -> {
                if (args.size() != 1 || !(args.get(0) instanceof PyTuple || args.get(0) instanceof List)) throw error(at, "torch.Size needs one tuple of sizes");
                yield args.get(0) instanceof PyTuple t ? t : new PyTuple(listArg(at, args.get(0)));
            }
            case CODECS_ENCODE -> {
                if (args.size() != 2 || !(args.get(0) instanceof String s) || !(args.get(1) instanceof String enc)
                        || !(enc.equals("latin1") || enc.equals("latin-1"))) {
                    throw error(at, "_codecs.encode is read only as protocol 2 writes bytes: (str, 'latin1')");
                }
                for (int i = 0; i < s.length(); i++) if (s.charAt(i) > 0xff) throw error(at, "_codecs.encode: a character above latin-1");
                yield s.getBytes(StandardCharsets.ISO_8859_1);
            }
            case REBUILD_TENSOR -> tensor(at, g, args, 4, null);
            case REBUILD_TENSOR_V2 -> tensor(at, g, args, 6, null);
            case REBUILD_TENSOR_V3 -> {
                if (args.size() < 7 || !(args.get(6) instanceof PyGlobal d) || d.kind() != PyGlobal.Kind.DTYPE)
                    throw error(at, g.qualifiedName() + " needs a torch dtype as its 7th argument");
                yield tensor(at, g, args, 7, d.dtype());
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                if (args.size() < 1 || !(args.get(0) instanceof TensorRef t)) throw error(at, g.qualifiedName() + " needs a tensor as its first argument");
                yield t;
            }
            case STORAGE_CLASS, UNTYPED_STORAGE, DTYPE -> throw error(at, "REDUCE calls " + g.qualifiedName() + ", which is allowed only as a name, not called");
        };
    }

    /** A tensor from torch._utils' rebuild arguments: (storage, offset, size, stride, ...); the rest carry no data. */
    private TensorRef tensor(long at, PyGlobal g, PyTuple args, int minArgs, TorchDType dtype) throws TorchCheckpointException {
        if (args.size() < minArgs) throw error(at, g.qualifiedName() + " with " + args.size() + " arguments, expected at least " + minArgs);
        if (!(args.get(0) instanceof StorageRef s)) throw error(at, g.qualifiedName() + " needs a storage as its first argument, got " + typeName(args.get(0)));
        if (!(args.get(1) instanceof Long offset)) throw error(at, g.qualifiedName() + ": storage offset is a " + typeName(args.get(1)) + ", not an int");
        long[] size = longs(at, args.get(2), "size"), stride = longs(at, args.get(3), "stride");
        if (size.length != stride.length) throw error(at, "tensor has " + size.length + " sizes but " + stride.length + " strides");
        return new TensorRef(s, offset, size, stride, dtype != null ? dtype : s.dtype());
    }

    private long[] longs(long at, Object o, String what) throws TorchCheckpointException {
        List<Object> items = o instanceof PyTuple t ? t.items : listArg(at, o);
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long v)) throw error(at, "tensor " + what + " holds a " + typeName(items.get(i)) + ", not an int");
            out[i] = v;
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listArg(long at, Object o) throws TorchCheckpointException {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw error(at, "expected a tuple or list, got " + typeName(o));
    }

    // ---- stack, marks, memo ----

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop(long at) throws TorchCheckpointException {
        if (stack.isEmpty() || stack.getLast() == MARK) throw error(at, "pickle pops from an empty stack");
        return stack.removeLast();
    }

    private Object peek(long at) throws TorchCheckpointException {
        if (stack.isEmpty() || stack.getLast() == MARK) throw error(at, "pickle reads from an empty stack");
        return stack.getLast();
    }

    /** The items above the last MARK, removing them and the mark. */
    private List<Object> popMark(long at) throws TorchCheckpointException {
        if (marks.isEmpty()) throw error(at, "pickle closes a MARK it never opened");
        int m = marks.pop();
        List<Object> tail = stack.subList(m + 1, stack.size());
        List<Object> items = new ArrayList<>(tail);
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private PyTuple tupleOf(long at, int n) throws TorchCheckpointException {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) items[i] = pop(at);
        return new PyTuple(java.util.Arrays.asList(items));
    }

    private Object memoGet(long at, long index) throws TorchCheckpointException {
        if (!memo.containsKey(index)) throw error(at, "pickle refers to memo slot " + index + ", which was never set");
        return memo.get(index);
    }

    private void putPairs(long at, Map<Object, Object> d, List<Object> items) throws TorchCheckpointException {
        if (items.size() % 2 != 0) throw error(at, "dict items come in pairs, got " + items.size() + " values");
        for (int i = 0; i < items.size(); i += 2) d.put(key(at, items.get(i)), items.get(i + 1));
    }

    /** Dict keys are kept to plain values: hashing a (possibly cyclic) container could recurse without end. */
    private Object key(long at, Object k) throws TorchCheckpointException {
        if (k == null || k instanceof String || k instanceof Long || k instanceof BigInteger || k instanceof Double || k instanceof Boolean) return k;
        throw error(at, "a dict key that is a " + typeName(k) + " (only strings, numbers, bools and None are read)");
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(long at, Object o) throws TorchCheckpointException {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw error(at, "APPEND to a " + typeName(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(long at, Object o) throws TorchCheckpointException {
        if (o instanceof LinkedHashMap<?, ?> d) return (Map<Object, Object>) d;
        throw error(at, "SETITEM on a " + typeName(o) + ", not a dict");
    }

    // ---- reading primitives ----

    private long length4(long at) throws IOException {
        return le(in.read(4, "length")).getInt() & 0xffffffffL;
    }

    private long length8(long at) throws IOException {
        long n = le(in.read(8, "length")).getLong();
        if (n < 0) throw error(at, "length " + Long.toUnsignedString(n) + " is past any file");
        return n;
    }

    /** A GLOBAL opcode's text line, bounded: real module and attribute names are short. */
    private String line(long at) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c == '\n') return sb.toString();
            if (sb.length() >= MAX_GLOBAL_NAME) throw error(at, "GLOBAL name longer than " + MAX_GLOBAL_NAME + " characters");
            sb.append((char) c);
        }
    }

    private static Object longOf(byte[] littleEndianTwosComplement) {
        if (littleEndianTwosComplement.length == 0) return 0L;
        byte[] be = new byte[littleEndianTwosComplement.length];
        for (int i = 0; i < be.length; i++) be[i] = littleEndianTwosComplement[be.length - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private TorchCheckpointException error(long at, String problem) {
        return new TorchCheckpointException("pickle byte " + at + ": " + problem);
    }

    private static String nameOf(Object callable) {
        return callable instanceof PyGlobal g ? g.qualifiedName() : typeName(callable);
    }

    /** A value's Python-ish type name, without looking inside it. */
    static String typeName(Object o) {
        if (o == null) return "None";
        if (o == MARK) return "MARK";
        if (o instanceof String) return "str";
        if (o instanceof Long || o instanceof BigInteger) return "int";
        if (o instanceof Double) return "float";
        if (o instanceof Boolean) return "bool";
        if (o instanceof byte[]) return "bytes";
        if (o instanceof Map) return "dict";
        if (o instanceof List) return "list";
        if (o instanceof PyTuple) return "tuple";
        if (o instanceof TensorRef) return "tensor";
        if (o instanceof StorageRef) return "storage";
        if (o instanceof PyGlobal g) return g.qualifiedName();
        return o.getClass().getSimpleName();
    }

    private static String opcodeName(int op) {
        String name = switch (op) {
            case 'c' -> "GLOBAL";
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x81 -> "NEWOBJ";
            case 0x92 -> "NEWOBJ_EX";
            case 0x82, 0x83, 0x84 -> "EXT";
            case 'P' -> "PERSID";
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'F' -> "FLOAT";
            case 'S' -> "STRING";
            case 'V' -> "UNICODE";
            case 'g' -> "GET";
            case 'p' -> "PUT";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            default -> "unknown";
        };
        return String.format("0x%02x (%s)", op, name);
    }
}
