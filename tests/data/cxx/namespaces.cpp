// C++ names for tests/lib/types/cxx_namespace_test.ts: qualified names of
// variables and functions, defined inside their namespace or outside it
// (DW_AT_specification), static class members, a global that shares a
// namespace member's name, and templates (g++ and clang++ spell their
// arguments differently: `short int` and `short`).
namespace app {
struct Config { int level; long flags; };
Config g_config = {3, 4};
int counter = 1;
namespace inner {
struct Deep { short d; };
Deep g_deep = {5};
int counter = 6;
int helper(int x) { return x + counter; }
}  // namespace inner
extern int outside;
int defined_outside(int);
template <typename T> struct Box { T value; };
Box<short> box_short;
Box<unsigned long> box_ulong;
Box<Config> box_config;
}  // namespace app
template <typename A, typename B> struct Pair { A a; B b; };
template <int N> struct Arr { int v[N]; };
Pair<int, app::Box<char> > pair_box;
Arr<5> arr5;
int app::outside = 7;
int app::defined_outside(int x) { return x * 2; }
struct Counter { static int count; int n; };
int Counter::count = 8;
int counter = 9;  // the global: what `counter` alone names
namespace {
int hidden = 10;
}
int main() { return app::inner::helper(app::defined_outside(hidden)) + Counter::count; }
