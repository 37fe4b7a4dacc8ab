/* The quantized layers' output stage (src/runtime/lower_quant.h) and word
 * helpers, shared by qgemm.comp and qconv.comp (GLSL 450). Byte access:
 * qbytes.glsl. Whole words an invocation owns are stored plainly.
 *
 * The including shader defines, before including this file, its push block
 * `p` with int fields y_off, y_zp and float y_scale, the epilogue
 * (epilogue.glsl), a `buffer Y_ { uint y[]; }` with NG_BYTE_VIEWS(.., y), a
 * `buffer Ch_ { ivec4 ch[]; }` (per output channel: mult bits, int32 bias,
 * weight zero point, 0) and the constant OUT. */
#ifndef NG_QCOMMON_GLSL
#define NG_QCOMMON_GLSL

#define NG_QOUT_INT8 0
#define NG_QOUT_UINT8 1
#define NG_QOUT_FLOAT 2
#define NG_QOUT_INT32 3

/* Byte i (0..3) of word w, sign- or zero-extended. */
int ng_word_byte(uint w, int i, bool sgn) {
    return sgn ? bitfieldExtract(int(w), i * 8, 8) : int(bitfieldExtract(w, i * 8, 8));
}

/* Nibble i (0..7) of word w. */
int ng_word_nibble(uint w, int i, bool sgn) {
    return sgn ? bitfieldExtract(int(w), i * 4, 4) : int(bitfieldExtract(w, i * 4, 4));
}

#ifdef NG_QSTORE
/* Stores byte v at byte index idx of y without touching its neighbours. */
void ng_store_byte(uint idx, uint v) {
#ifdef NG_I8
    y_u8[idx] = uint8_t(v);
#else
    const uint sh = (idx & 3u) * 8u;
    atomicAnd(y[idx >> 2], ~(0xffu << sh));
    atomicOr(y[idx >> 2], (v & 0xffu) << sh);
#endif
}

/* real = mult[c] * (acc + bias[c]) */
float ng_q_dequant(int acc, int c) {
    const ivec4 cc = ch[c];
    return intBitsToFloat(cc.x) * float(acc + cc.y);
}

/* ng_q_dequant, then the node's epilogue at output element e. */
float ng_q_real(int acc, int c, uint e) { return ng_epilogue(ng_q_dequant(acc, c), e); }

/* The int8/uint8 output byte of real: round half to even, add the zero
 * point, saturate; NaN gives the lowest value (src/core/quant.h). */
uint ng_q_byte(float real) {
    const float lo = OUT == NG_QOUT_INT8 ? -128.0 : 0.0, hi = OUT == NG_QOUT_INT8 ? 127.0 : 255.0;
    const float r = roundEven(real / p.y_scale) + float(p.y_zp);
    const float q = isnan(r) ? lo : clamp(r, lo, hi);
    return uint(int(q)) & 0xffu;
}

/* Stores output element e of a layer from its float value v (float outputs:
 * v, 8-bit: requantized) or its accumulator acc (int32 outputs). */
void ng_q_store(uint e, int acc, float v) {
    if (OUT == NG_QOUT_INT32) y[uint(p.y_off) + e] = uint(acc);
    else if (OUT == NG_QOUT_FLOAT) y[uint(p.y_off) + e] = floatBitsToUint(v);
    else ng_store_byte(uint(p.y_off) + e, ng_q_byte(v));
}

/* Stores 4 neighbouring 8-bit outputs e..e+3 from their float values as one
 * word when they fill one, else byte by byte. */
void ng_q_store4(uint e, const vec4 v) {
    const uint b = uint(p.y_off) + e;
    if ((b & 3u) == 0u) {
        y[b >> 2] = ng_q_byte(v.x) | (ng_q_byte(v.y) << 8) | (ng_q_byte(v.z) << 16) |
                    (ng_q_byte(v.w) << 24);
    } else {
        for (int i = 0; i < 4; i++) ng_store_byte(b + uint(i), ng_q_byte(v[i]));
    }
}
#endif

#endif
