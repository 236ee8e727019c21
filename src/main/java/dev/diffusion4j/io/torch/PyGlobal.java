package dev.diffusion4j.io.torch;

/**
 * One of the few Python globals a state dict needs, as named in the pickle. Only these are ever produced: any other
 * name is refused where it is read, before anything could call it.
 */
record PyGlobal(String module, String name, Kind kind, TorchDType dtype) {
    enum Kind {
        ORDERED_DICT, TORCH_SIZE, CODECS_ENCODE, REBUILD_TENSOR, REBUILD_TENSOR_V2, REBUILD_TENSOR_V3, REBUILD_PARAMETER,
        REBUILD_PARAMETER_WITH_STATE, STORAGE_CLASS, UNTYPED_STORAGE, DTYPE
    }

    String qualifiedName() {
        return module + "." + name;
    }

    /** The allowed global of this name, or null. */
    static PyGlobal resolve(String module, String name) {
        Kind k = switch (module + " " + name) {
            case "collections OrderedDict" -> Kind.ORDERED_DICT;
            case "torch Size" -> Kind.TORCH_SIZE;
            case "_codecs encode" -> Kind.CODECS_ENCODE;
            case "torch._utils _rebuild_tensor" -> Kind.REBUILD_TENSOR;
            case "torch._utils _rebuild_tensor_v2" -> Kind.REBUILD_TENSOR_V2;
            case "torch._utils _rebuild_tensor_v3" -> Kind.REBUILD_TENSOR_V3;
            case "torch._utils _rebuild_parameter" -> Kind.REBUILD_PARAMETER;
            case "torch._utils _rebuild_parameter_with_state" -> Kind.REBUILD_PARAMETER_WITH_STATE;
            case "torch UntypedStorage", "torch.storage UntypedStorage" -> Kind.UNTYPED_STORAGE;
            default -> null;
        };
        if (k != null) return new PyGlobal(module, name, k, null);
        if (module.equals("torch")) {
            TorchDType s = TorchDType.ofStorageClass(name);
            if (s != null) return new PyGlobal(module, name, Kind.STORAGE_CLASS, s);
            TorchDType d = TorchDType.ofDtypeName(name);
            if (d != null) return new PyGlobal(module, name, Kind.DTYPE, d);
        }
        return null;
    }
}
