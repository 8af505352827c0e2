// C++ base classes for tests/lib/types/cxx_inheritance_test.ts: built with
// g++ and clang++ there, run, and read while it waits. Prints "ready" once
// the globals are set.
#include <unistd.h>
#include <cstdio>

struct Base { int x; long y; };
struct Other { short s; };
struct Derived : Base, Other { int z; };
struct Grand : Derived { char c; };
struct Hide : Base { int x; };             // hides Base::x
struct Empty {};
struct WithEmpty : Empty { int e; };       // empty base: no storage
class Priv : Base { public: int p; };      // class: private inheritance by default
struct Prot : protected Other { int q; };
struct VA { int a; };
struct VD : virtual VA { int d; };         // virtual base: offset from the vtable
struct VE : VD { int e; };                 // a virtual base through a plain one
class Poly { public: virtual ~Poly() {} int v = 7; };
class Impl : public Poly { public: int w = 9; };
template <typename T> struct Box : Base { T t; };

Derived g_derived;
Grand g_grand;
Hide g_hide;
WithEmpty g_with_empty;
Priv g_priv;
Prot g_prot;
VD g_vd;
VE g_ve;
Impl g_impl;
Poly *g_poly = &g_impl;
Box<short> g_box;

int main() {
  g_derived.x = 1; g_derived.y = 2; g_derived.s = 3; g_derived.z = 4;
  g_grand.x = 10; g_grand.y = 20; g_grand.s = 30; g_grand.z = 40; g_grand.c = 'c';
  g_hide.Base::x = 5; g_hide.x = 6; g_hide.y = 7;
  g_with_empty.e = 8;
  g_priv.p = 11;
  g_prot.q = 12;
  g_vd.a = 13; g_vd.d = 14;
  g_ve.a = 17; g_ve.d = 18; g_ve.e = 19;
  g_box.x = 15; g_box.t = 16;
  puts("ready");
  fflush(stdout);
  pause();
}
