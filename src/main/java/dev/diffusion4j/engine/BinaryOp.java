package dev.diffusion4j.engine;

/** Elementwise two-operand maps (with NumPy broadcasting). Comparisons yield 1.0/0.0 in the inputs' dtype. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE;

    public double apply(double a, double b) {
        switch (this) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case POW: return Math.pow(a, b);
            case MAXIMUM: return a >= b ? a : b;
            case MINIMUM: return a <= b ? a : b;
            case EQ: return a == b ? 1 : 0;
            case NE: return a != b ? 1 : 0;
            case LT: return a < b ? 1 : 0;
            case LE: return a <= b ? 1 : 0;
            case GT: return a > b ? 1 : 0;
            case GE: return a >= b ? 1 : 0;
            default: throw new AssertionError(this);
        }
    }

    public boolean isComparison() { return ordinal() >= EQ.ordinal(); }
}
