// The Dormand–Prince 5(4) embedded Runge–Kutta step shared by the ODE shooting solvers
// (asymmetric_bne.cpp, asymmetric_supports.cpp). Tableau: J. R. Dormand and P. J. Prince, "A family of
// embedded Runge–Kutta formulae", J. Comput. Appl. Math. 6 (1980), Table 2 (RK5(4)7M); the same as
// Hairer, Nørsett and Wanner, Solving ODEs I, Table II.5.2. Host only.
#pragma once

#include <algorithm>
#include <cmath>

namespace mcrev {
namespace dopri {

constexpr double A21 = 1.0 / 5;
constexpr double A31 = 3.0 / 40, A32 = 9.0 / 40;
constexpr double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
constexpr double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
constexpr double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176,
                 A65 = -5103.0 / 18656;
constexpr double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192, B5 = -2187.0 / 6784, B6 = 11.0 / 84;
constexpr double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200, E6 = 22.0 / 525,
                 E7 = -1.0 / 40;
constexpr double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;

/// Work arrays of one step for up to N unknowns. k[0] is f(τ, s) on entry; after a successful step
/// y5 is the fifth-order solution at τ + h and k[6] = f(τ + h, y5) (first same as last: the next
/// step's k[0]).
template <int N>
struct Stages {
  double k[7][N];
  double y[N], y5[N];
};

/// One step of size hh (negative: backwards) from (tau, s) for G <= N unknowns; the last stage is
/// evaluated at tau_next (= tau + hh, or the exact end point on the last step). rhs(t, in, out)
/// writes f(t, in) into out and returns false when `in` is infeasible; the step then returns false.
template <int N, class Rhs>
bool step(const Rhs& rhs, int G, double tau, double hh, double tau_next, const double* s, Stages<N>& w) {
  double(&k)[7][N] = w.k;
  double* y = w.y;
  auto stage = [&](const double* in, double* out, double c) { return rhs(tau + c * hh, in, out); };
  for (int g = 0; g < G; ++g) y[g] = s[g] + hh * A21 * k[0][g];
  if (!stage(y, k[1], C2)) return false;
  for (int g = 0; g < G; ++g) y[g] = s[g] + hh * (A31 * k[0][g] + A32 * k[1][g]);
  if (!stage(y, k[2], C3)) return false;
  for (int g = 0; g < G; ++g) y[g] = s[g] + hh * (A41 * k[0][g] + A42 * k[1][g] + A43 * k[2][g]);
  if (!stage(y, k[3], C4)) return false;
  for (int g = 0; g < G; ++g) y[g] = s[g] + hh * (A51 * k[0][g] + A52 * k[1][g] + A53 * k[2][g] + A54 * k[3][g]);
  if (!stage(y, k[4], C5)) return false;
  for (int g = 0; g < G; ++g)
    y[g] = s[g] + hh * (A61 * k[0][g] + A62 * k[1][g] + A63 * k[2][g] + A64 * k[3][g] + A65 * k[4][g]);
  if (!stage(y, k[5], 1.0)) return false;
  for (int g = 0; g < G; ++g)
    w.y5[g] = s[g] + hh * (B1 * k[0][g] + B3 * k[2][g] + B4 * k[3][g] + B5 * k[4][g] + B6 * k[5][g]);
  return rhs(tau_next, w.y5, k[6]);
}

/// The step's error estimate (fifth minus fourth order) in the mixed norm max_g |e_g| / (tol + tol·|y5_g|):
/// the step is accepted when it is <= 1.
template <int N>
double error_norm(const Stages<N>& w, int G, double hh, double tol) {
  const auto& k = w.k;
  double err = 0.0;
  for (int g = 0; g < G; ++g) {
    const double e = hh * (E1 * k[0][g] + E3 * k[2][g] + E4 * k[3][g] + E5 * k[4][g] + E6 * k[5][g] + E7 * k[6][g]);
    err = std::max(err, std::fabs(e) / (tol + tol * std::fabs(w.y5[g])));
  }
  return err;
}

/// The next step size's factor for error err (order 5: err^(−1/5) with safety 0.9, within [0.2, 4]).
inline double step_factor(double err) {
  return err > 0 ? std::min(4.0, std::max(0.2, 0.9 * std::pow(err, -0.2))) : 4.0;
}

}  // namespace dopri
}  // namespace mcrev
