/*
 * DEFLATE (RFC 1951) with the zlib wrapper (RFC 1950), compiled to
 * WebAssembly for lib/binary/inflate.ts: the same decoder as the TypeScript
 * one there (the same tables, the same rules for what is malformed), which
 * runs at machine speed from its first call instead of waiting for V8 to
 * optimize. It only says whether a stream decoded; on any error the
 * TypeScript decoder runs again to name it.
 *
 * Build: scripts/build_wasm.sh (clang --target=wasm32, no libc).
 */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;

#define K_LENGTH 0x1000
#define K_END 0x2000
#define K_LINK 0x4000
#define K_INVALID 0x8000
#define LIT_ROOT 10
#define DIST_ROOT 8
#define MAX_BITS 15
#define LIT_TABLE_SIZE ((1 << LIT_ROOT) + 1536)
#define DIST_TABLE_SIZE ((1 << DIST_ROOT) + 512)

#define BUILD_OK 0
#define BUILD_OVERSUBSCRIBED 1
#define BUILD_INCOMPLETE 2

static const u16 LENGTH_BASE[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const u8 LENGTH_EXTRA[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                    2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const u16 DIST_BASE[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                  193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                  8193, 12289, 16385, 24577};
static const u8 DIST_EXTRA[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                  6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const u8 CLEN_ORDER[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* Symbol entries without the code length: kind and value (see inflate.ts). */
static i32 LIT_SYMBOL[288];
static i32 DIST_SYMBOL[32];
static i32 CLEN_SYMBOL[19];
static u8 REVERSE8[256];

static i32 dynLit[LIT_TABLE_SIZE];
static i32 dynDist[DIST_TABLE_SIZE];
static i32 fixedLit[LIT_TABLE_SIZE];
static i32 fixedDist[DIST_TABLE_SIZE];
static i32 clenTable[1 << 7];
static u8 lengths[288 + 32];
static u8 clenLengths[19];
static u16 blCount[MAX_BITS + 1];
static u16 nextIndex[MAX_BITS + 1];
static u16 sorted[288];
static int ready;

static void fill32(i32 *t, int from, int to, i32 v) {
  for (int i = from; i < to; i++) t[i] = v;
}

static int buildTable(const u8 *lens, int n, const i32 *symbols, i32 *table, int tableLen,
                      int root, int allowSingle) {
  u16 *count = blCount;
  for (int i = 0; i <= MAX_BITS; i++) count[i] = 0;
  for (int i = 0; i < n; i++) count[lens[i]]++;
  count[0] = 0;
  int max = MAX_BITS;
  while (max > 0 && count[max] == 0) max--;
  int size = 1 << root;
  if (max == 0) {
    if (!allowSingle) return BUILD_INCOMPLETE;
    fill32(table, 0, size, K_INVALID);
    return BUILD_OK;
  }
  int left = 1;
  for (int len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - count[len];
    if (left < 0) return BUILD_OVERSUBSCRIBED;
  }
  if (left > 0) {
    if (!(allowSingle && max == 1)) return BUILD_INCOMPLETE;
    fill32(table, 0, size, K_INVALID);
  }
  u16 *next = nextIndex;
  next[1] = 0;
  for (int len = 1; len < MAX_BITS; len++) next[len + 1] = next[len] + count[len];
  for (int i = 0; i < n; i++) {
    int len = lens[i];
    if (len != 0) sorted[next[len]++] = (u16)i;
  }
  u32 code = 0;
  int k = 0;
  int len = 1;
  for (; len <= max && len <= root; len++) {
    for (int c = count[len]; c > 0; c--) {
      i32 entry = symbols[sorted[k++]] | len;
      u32 rev = ((REVERSE8[code & 0xff] << 8) | REVERSE8[(code >> 8) & 0xff]) >> (16 - len);
      for (u32 i = rev; i < (u32)size; i += 1u << len) table[i] = entry;
      code++;
    }
    code <<= 1;
  }
  if (len > max) return BUILD_OK;
  u16 *remaining = count;
  int prefix = -1;
  int subStart = size;
  int subBase = 0;
  int subBits = 0;
  for (; len <= max; len++) {
    while (remaining[len] > 0) {
      u32 rev = ((REVERSE8[code & 0xff] << 8) | REVERSE8[(code >> 8) & 0xff]) >> (16 - len);
      int p = (int)(rev & (u32)(size - 1));
      if (p != prefix) {
        prefix = p;
        int bits = len - root;
        int room = (1 << bits) - remaining[len];
        while (room > 0 && bits + root < max) {
          bits++;
          room = (room << 1) - remaining[bits + root];
        }
        if (subStart + (1 << bits) > tableLen) return BUILD_OVERSUBSCRIBED;
        subBase = subStart;
        subBits = bits;
        subStart += 1 << bits;
        table[p] = (subBase << 16) | K_LINK | (bits << 8) | root;
      }
      i32 entry = symbols[sorted[k++]] | len;
      u32 subSize = 1u << subBits;
      for (u32 i = rev >> root; i < subSize; i += 1u << (len - root)) table[subBase + i] = entry;
      remaining[len]--;
      code++;
    }
    code <<= 1;
  }
  return BUILD_OK;
}

static void init(void) {
  for (int i = 0; i < 256; i++) {
    int r = 0;
    for (int b = 0; b < 8; b++) r |= ((i >> b) & 1) << (7 - b);
    REVERSE8[i] = (u8)r;
  }
  for (int i = 0; i < 256; i++) LIT_SYMBOL[i] = i << 16;
  LIT_SYMBOL[256] = K_END;
  for (int i = 0; i < 29; i++) {
    LIT_SYMBOL[257 + i] = (LENGTH_BASE[i] << 16) | K_LENGTH | (LENGTH_EXTRA[i] << 8);
  }
  LIT_SYMBOL[286] = LIT_SYMBOL[287] = K_INVALID;
  for (int i = 0; i < 30; i++) {
    DIST_SYMBOL[i] = (DIST_BASE[i] << 16) | K_LENGTH | (DIST_EXTRA[i] << 8);
  }
  DIST_SYMBOL[30] = DIST_SYMBOL[31] = K_INVALID;
  for (int i = 0; i < 19; i++) CLEN_SYMBOL[i] = i << 16;
  u8 lens[288];
  for (int i = 0; i < 288; i++) lens[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
  buildTable(lens, 288, LIT_SYMBOL, fixedLit, LIT_TABLE_SIZE, LIT_ROOT, 0);
  for (int i = 0; i < 32; i++) lens[i] = 5;
  buildTable(lens, 32, DIST_SYMBOL, fixedDist, DIST_TABLE_SIZE, DIST_ROOT, 0);
  ready = 1;
}

/* The bit reader: input past the end reads as zeros; `pos` may run ahead. */
#define NEED(k)                                                  \
  do {                                                           \
    if (bitcnt < (k)) {                                          \
      if (pos + 8 <= srcLen) {                                   \
        u64 w;                                                   \
        __builtin_memcpy(&w, src + pos, 8);                      \
        bitbuf |= w << bitcnt;                                   \
        pos += (63 - bitcnt) >> 3;                               \
        bitcnt |= 56;                                            \
      } else {                                                   \
        while (bitcnt <= 56) {                                   \
          bitbuf |= (u64)(pos < srcLen ? src[pos] : 0) << bitcnt; \
          pos++;                                                 \
          bitcnt += 8;                                           \
        }                                                        \
      }                                                          \
    }                                                            \
  } while (0)
#define DROP(k)      \
  do {               \
    bitbuf >>= (k);  \
    bitcnt -= (k);   \
  } while (0)
#define PAST_END() ((u64)pos * 8 - bitcnt > (u64)srcLen * 8)

/* Decodes the raw stream at src[start...]; returns the output length, or -1. Sets *end. */
static i32 inflateAt(const u8 *src, u32 srcLen, u32 start, u8 *out, u32 outLen, u32 *end) {
  u32 pos = start;
  u64 bitbuf = 0;
  u32 bitcnt = 0;
  u32 o = 0;
  int last;
  if (!ready) init();
  do {
    NEED(3);
    last = (int)(bitbuf & 1);
    int type = (int)((bitbuf >> 1) & 3);
    DROP(3);
    if (PAST_END()) return -1;
    if (type == 0) {
      DROP(bitcnt & 7);
      pos -= bitcnt >> 3;
      bitbuf = 0;
      bitcnt = 0;
      if (pos + 4 > srcLen) return -1;
      u32 n = src[pos] | (src[pos + 1] << 8);
      u32 nn = src[pos + 2] | (src[pos + 3] << 8);
      if (n != (~nn & 0xffff)) return -1;
      pos += 4;
      if (pos + n > srcLen) return -1;
      if (o + n > outLen) return -1;
      __builtin_memcpy(out + o, src + pos, n);
      pos += n;
      o += n;
      continue;
    }
    const i32 *lit;
    const i32 *dist;
    if (type == 1) {
      lit = fixedLit;
      dist = fixedDist;
    } else if (type == 2) {
      NEED(14);
      u32 nlit = (u32)(bitbuf & 31) + 257;
      u32 ndist = (u32)((bitbuf >> 5) & 31) + 1;
      u32 nclen = (u32)((bitbuf >> 10) & 15) + 4;
      DROP(14);
      if (nlit > 286 || ndist > 30) return -1;
      for (int i = 0; i < 19; i++) clenLengths[i] = 0;
      for (u32 i = 0; i < nclen; i++) {
        NEED(3);
        clenLengths[CLEN_ORDER[i]] = (u8)(bitbuf & 7);
        DROP(3);
      }
      if (buildTable(clenLengths, 19, CLEN_SYMBOL, clenTable, 1 << 7, 7, 0) != BUILD_OK) return -1;
      u32 total = nlit + ndist;
      for (u32 i = 0; i < total;) {
        NEED(14);
        i32 e = clenTable[bitbuf & 127];
        u32 n = e & 0xff;
        DROP(n);
        u32 sym = (u32)e >> 16;
        if (sym < 16) {
          lengths[i++] = (u8)sym;
          continue;
        }
        u32 value = 0, repeat;
        if (sym == 16) {
          if (i == 0) return -1;
          value = lengths[i - 1];
          repeat = 3 + (u32)(bitbuf & 3);
          DROP(2);
        } else if (sym == 17) {
          repeat = 3 + (u32)(bitbuf & 7);
          DROP(3);
        } else {
          repeat = 11 + (u32)(bitbuf & 127);
          DROP(7);
        }
        if (i + repeat > total) return -1;
        for (u32 stop = i + repeat; i < stop; i++) lengths[i] = (u8)value;
      }
      if (PAST_END()) return -1;
      if (lengths[256] == 0) return -1;
      if (buildTable(lengths, (int)nlit, LIT_SYMBOL, dynLit, LIT_TABLE_SIZE, LIT_ROOT, 1) != BUILD_OK) {
        return -1;
      }
      if (buildTable(lengths + nlit, (int)ndist, DIST_SYMBOL, dynDist, DIST_TABLE_SIZE, DIST_ROOT,
                     1) != BUILD_OK) {
        return -1;
      }
      lit = dynLit;
      dist = dynDist;
    } else {
      return -1;
    }
    for (;;) {
      NEED(32);
      i32 e = lit[bitbuf & ((1 << LIT_ROOT) - 1)];
      if (e & K_LINK) {
        e = lit[((u32)e >> 16) + ((bitbuf >> LIT_ROOT) & ((1u << ((e >> 8) & 15)) - 1))];
      }
      u32 n = e & 0xff;
      DROP(n);
      if ((e & 0xff00) == 0) {
        if (o >= outLen) return -1;
        out[o++] = (u8)((u32)e >> 16);
        continue;
      }
      if ((e & K_LENGTH) == 0) {
        if (e & K_END) break;
        return -1;
      }
      u32 length = (u32)e >> 16;
      u32 lx = (e >> 8) & 15;
      length += (u32)bitbuf & ((1u << lx) - 1);
      DROP(lx);
      NEED(32);
      e = dist[bitbuf & ((1 << DIST_ROOT) - 1)];
      if (e & K_LINK) {
        e = dist[((u32)e >> 16) + ((bitbuf >> DIST_ROOT) & ((1u << ((e >> 8) & 15)) - 1))];
      }
      n = e & 0xff;
      DROP(n);
      if ((e & K_LENGTH) == 0) return -1;
      u32 d = (u32)e >> 16;
      u32 dx = (e >> 8) & 15;
      d += (u32)bitbuf & ((1u << dx) - 1);
      DROP(dx);
      if (d > o) return -1;
      if (o + length > outLen) return -1;
      u8 *to = out + o;
      const u8 *from = to - d;
      if (d >= length) {
        __builtin_memcpy(to, from, length);
      } else {
        for (u32 i = 0; i < length; i++) to[i] = from[i];
      }
      o += length;
    }
    if (PAST_END()) return -1;
  } while (last == 0);
  pos -= bitcnt >> 3;
  *end = pos;
  return (i32)o;
}

static u32 adler32(const u8 *p, u32 n) {
  u32 a = 1, b = 0;
  while (n > 0) {
    u32 k = n < 5552 ? n : 5552;
    n -= k;
    while (k--) {
      a += *p++;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}

/*
 * Decodes the zlib stream src[0, srcLen) into out[0, outLen): returns the
 * output length, or -1 for anything inflateZlib in inflate.ts would reject.
 */
__attribute__((export_name("inflate_zlib"))) i32 inflate_zlib(const u8 *src, u32 srcLen, u8 *out,
                                                              u32 outLen) {
  if (srcLen < 2) return -1;
  u32 cmf = src[0], flg = src[1];
  if ((cmf & 15) != 8 || (cmf >> 4) > 7 || (cmf * 256 + flg) % 31 != 0 || (flg & 0x20)) return -1;
  u32 end = 0;
  i32 n = inflateAt(src, srcLen, 2, out, outLen, &end);
  if (n < 0) return -1;
  if (end + 4 > srcLen) return -1;
  u32 want = ((u32)src[end] << 24) | ((u32)src[end + 1] << 16) | ((u32)src[end + 2] << 8) |
             src[end + 3];
  if (adler32(out, (u32)n) != want) return -1;
  return n;
}

extern u8 __heap_base;

/* Where the caller's buffers go: everything from here to the end of memory. */
__attribute__((export_name("heap_base"))) u32 heap_base(void) { return (u32)&__heap_base; }
