package dev.diffusion4j.io.torch;

import dev.diffusion4j.io.StoreType;

/**
 * The element types a checkpoint names, either as a storage class ({@code torch.FloatStorage}, written by torch.save for
 * typed storages) or as a dtype object ({@code torch.float32}, written by newer torch next to an untyped storage).
 */
enum TorchDType {
    F32("FloatStorage", "float32", StoreType.F32),
    F64("DoubleStorage", "float64", StoreType.F64),
    F16("HalfStorage", "float16", StoreType.F16),
    BF16("BFloat16Storage", "bfloat16", StoreType.BF16),
    I64("LongStorage", "int64", StoreType.I64),
    I32("IntStorage", "int32", StoreType.I32),
    I16("ShortStorage", "int16", StoreType.I16),
    I8("CharStorage", "int8", StoreType.I8),
    U8("ByteStorage", "uint8", StoreType.U8),
    BOOL("BoolStorage", "bool", StoreType.BOOL);

    final String storageClass;
    final String dtypeName;
    final StoreType storeType;

    TorchDType(String storageClass, String dtypeName, StoreType storeType) {
        this.storageClass = storageClass;
        this.dtypeName = dtypeName;
        this.storeType = storeType;
    }

    int size() {
        return storeType.size();
    }

    static TorchDType ofStorageClass(String name) {
        for (TorchDType t : values()) if (t.storageClass.equals(name)) return t;
        return null;
    }

    static TorchDType ofDtypeName(String name) {
        for (TorchDType t : values()) if (t.dtypeName.equals(name)) return t;
        return switch (name) { // torch's aliases, which pickle under their own names
            case "float" -> F32;
            case "double" -> F64;
            case "half" -> F16;
            case "long" -> I64;
            case "int" -> I32;
            case "short" -> I16;
            default -> null;
        };
    }
}
