/* float16 and bfloat16 conversions, exhaustively: every one of the 65536 bit patterns widens to
 * the value the format defines (computed here independently with ldexp) and narrows back to
 * itself; between every two neighbouring finite values, the midpoint rounds to the even one and
 * the floats just below and above it round down and up. Fails with the bit pattern at fault. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "tensor.h"

/* The value of a binary16 pattern from its definition (double arithmetic, exact). */
static double f16_value(uint16_t h) {
  int s = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
  return s ? -v : v;
}

static double bf16_value(uint16_t h) {
  int s = h >> 15, e = (h >> 7) & 0xff, m = h & 0x7f;
  double v = e == 0 ? ldexp(m, -133) : e == 255 ? (m ? NAN : INFINITY) : ldexp(128 + m, e - 134);
  return s ? -v : v;
}

static bool same_value(double want, float got) { return isnan(want) ? isnan(got) : want == (double)got; }

static void check_format(const char* name, double (*value)(uint16_t), float (*widen)(uint16_t), uint16_t (*narrow)(float),
                         uint16_t inf_bits) {
  for (uint32_t h = 0; h <= 0xffff; h++) {
    float f = widen((uint16_t)h);
    CHECK(same_value(value((uint16_t)h), f), "%s 0x%04x widens to %.9g, want %.9g", name, h, f, value((uint16_t)h));
    uint16_t back = narrow(f);
    if (isnan(f)) CHECK(isnan(widen(back)), "%s NaN 0x%04x narrows to 0x%04x, not a NaN", name, h, back);
    else CHECK(back == h, "%s 0x%04x narrows back to 0x%04x", name, h, back);
  }
  /* neighbours lo < hi (hi may be infinity, standing for the next binade's first value) */
  for (uint32_t lo = 0; lo < inf_bits; lo++) {
    for (int sign = 0; sign < 2; sign++) {
      uint16_t sb = sign ? 0x8000 : 0, a = (uint16_t)(lo | sb), b = (uint16_t)((lo + 1) | sb);
      double va = value(a), vb = value(b);
      if (lo + 1 == inf_bits) vb = va + (va - value((uint16_t)((lo - 1) | sb))); /* one step past the largest finite */
      float mid = (float)((va + vb) / 2); /* exact: one bit more than the format's precision */
      uint16_t even = (lo & 1) ? b : a;
      CHECK(narrow(mid) == even, "%s midpoint %.9g of 0x%04x and 0x%04x narrows to 0x%04x, want 0x%04x", name, mid, a, b,
            narrow(mid), even);
      float below = nextafterf(mid, 0.0f), above = nextafterf(mid, sign ? -INFINITY : INFINITY);
      CHECK(narrow(below) == a, "%s %.9g (just inside 0x%04x) narrows to 0x%04x", name, below, a, narrow(below));
      CHECK(narrow(above) == b, "%s %.9g (just past the midpoint) narrows to 0x%04x, want 0x%04x", name, above,
            narrow(above), b);
    }
  }
  CHECK(narrow(INFINITY) == inf_bits && narrow(-INFINITY) == (inf_bits | 0x8000), "%s infinities", name);
  CHECK(isnan(widen(narrow(NAN))), "%s NaN", name);
}

/* Scalar I/O of tensors of these dtypes goes through the conversions. */
static void check_scalar_io(void) {
  uint16_t buf[2] = {0, 0};
  roof_store_f64(ROOF_DT_FLOAT16, buf, 1, 1.0 / 3.0);
  CHECK(buf[1] == 0x3555, "float16 store of 1/3 gives 0x%04x", buf[1]);
  CHECK(roof_load_f64(ROOF_DT_FLOAT16, buf, 1) == (double)roof_f16_to_f32(0x3555), "float16 load");
  roof_store_f64(ROOF_DT_BFLOAT16, buf, 0, -2.5);
  CHECK(buf[0] == 0xc020, "bfloat16 store of -2.5 gives 0x%04x", buf[0]);
  CHECK(roof_load_i64(ROOF_DT_BFLOAT16, buf, 0) == -2, "bfloat16 to int64 truncates");
  CHECK(roof_dtype_size(ROOF_DT_BFLOAT16) == 2 && strcmp(roof_dtype_name(ROOF_DT_BFLOAT16), "bfloat16") == 0, "bfloat16 dtype");
}

int main(void) {
  check_format("float16", f16_value, roof_f16_to_f32, roof_f32_to_f16, 0x7c00);
  check_format("bfloat16", bf16_value, roof_bf16_to_f32, roof_f32_to_bf16, 0x7f80);
  check_scalar_io();
  printf("test_dtypes: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
