// The colour maps of featureMapGrid(): gray, and matplotlib's viridis, magma and inferno from
// their published degree-6 polynomial fits (Matt Zucker, CC0; max error ~1/255 against the
// matplotlib tables), sampled at 256 points; and a diverging blue-white-red map: matplotlib's
// coolwarm end colours joined to pure white by straight lines in CIELAB (even lightness steps,
// constant hue on each side; a straight line stays in the sRGB gamut where Moreland's Msh
// path to L = 100 would leave it and clip to cyan).
#include "kernels/feature_map_grid/feature_map_grid.h"

#include <algorithm>
#include <cmath>

namespace lathe::kernels {

namespace {

using Table = std::array<std::array<std::uint8_t, 4>, 256>;
using Poly = std::array<std::array<double, 3>, 7>; // c0..c6, each RGB

constexpr Poly kViridis{{{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
                         {0.1050930431085774, 1.404613529898575, 1.384590162594685},
                         {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
                         {-4.634230498983486, -5.799100973351585, -19.33244095627987},
                         {6.228269936347081, 14.17993336680509, 56.69055260068105},
                         {4.776384997670288, -13.74514537774601, -65.35303263337234},
                         {-5.435455855934631, 4.645852612178535, 26.3124352495832}}};
constexpr Poly kMagma{{{-0.002136485053939582, -0.000749655052795221, -0.005386127855323933},
                       {0.2516605407371642, 0.6775232436837668, 2.494026599312351},
                       {8.353717279216625, -3.577719514958484, 0.3144679030132573},
                       {-27.66873308576866, 14.26473078096533, -13.64921318813922},
                       {52.17613981234068, -27.94360607168351, 12.94416944238394},
                       {-50.76852536473588, 29.04658282127291, 4.23415299384598},
                       {18.65570506591883, -11.48977351997711, -5.601961508734096}}};
constexpr Poly kInferno{{{0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
                         {0.1065134194856116, 0.5639564367884091, 3.932712388889277},
                         {11.60249308247187, -3.972853965665698, -15.9423941062914},
                         {-41.70399613139459, 17.43639888205313, 44.35414519872813},
                         {77.162935699427, -33.40235894210092, -81.80730925738993},
                         {-71.31942824499214, 32.62606426397723, 73.20951985803202},
                         {25.13112622477341, -12.24266895238567, -23.07032500287172}}};

// ---- Diverging: sRGB <-> CIELAB (D65), interpolated in CIELAB. ----

struct Vec3
{
    double x, y, z;
};

constexpr Vec3 kWhiteD65{0.95047, 1.0, 1.08883};

double labF(double t)
{
    return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0;
}

double labFInverse(double f)
{
    return f > 0.206893 ? f * f * f : (f - 16.0 / 116.0) / 7.787;
}

/// sRGB in [0, 1] to CIELAB (L, a, b) through linear RGB and XYZ.
Vec3 srgbToLab(Vec3 c)
{
    const auto linear = [](double v) {
        return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    const double r = linear(c.x), g = linear(c.y), b = linear(c.z);
    const double fx = labF((0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / kWhiteD65.x);
    const double fy = labF((0.2126729 * r + 0.7151522 * g + 0.0721750 * b) / kWhiteD65.y);
    const double fz = labF((0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / kWhiteD65.z);
    return {116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

/// CIELAB back to sRGB in [0, 1] (clamped).
Vec3 labToSrgb(Vec3 lab)
{
    const double fy = (lab.x + 16.0) / 116.0;
    const double x = kWhiteD65.x * labFInverse(fy + lab.y / 500.0);
    const double y = kWhiteD65.y * labFInverse(fy);
    const double z = kWhiteD65.z * labFInverse(fy - lab.z / 200.0);
    const auto gamma = [](double v) {
        v = v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
        return std::clamp(v, 0.0, 1.0);
    };
    return {gamma(3.2404542 * x - 1.5371385 * y - 0.4985314 * z),
            gamma(-0.9692660 * x + 1.8760108 * y + 0.0415560 * z),
            gamma(0.0556434 * x - 0.2040259 * y + 1.0572252 * z)};
}

/// Colour at u in [0, 1] on the straight CIELAB line from `end` (u = 0) to white (L = 100):
/// lightness rises evenly and the hue stays that of `end`.
Vec3 towardsWhite(Vec3 end, double u)
{
    return labToSrgb({(1.0 - u) * end.x + u * 100.0, (1.0 - u) * end.y, (1.0 - u) * end.z});
}

/// Blue (coolwarm's 59, 76, 192) to white over entries 0..127, white to red (180, 4, 38) over
/// 128..255: entries 127 and 128 are both white, so entry i mirrors entry 255 - i and a value
/// 0 in the symmetric range [-m, m] (t = 127.5) lands on white.
Table diverging()
{
    const Vec3 blue = srgbToLab({59.0 / 255.0, 76.0 / 255.0, 192.0 / 255.0});
    const Vec3 red = srgbToLab({180.0 / 255.0, 4.0 / 255.0, 38.0 / 255.0});
    Table table{};
    for (int i = 0; i < 256; ++i) {
        const Vec3 c = i < 128 ? towardsWhite(blue, i / 127.0)
                               : towardsWhite(red, (255 - i) / 127.0);
        const double rgb[3] = {c.x, c.y, c.z};
        for (std::size_t k = 0; k < 3; ++k)
            table[std::size_t(i)][k] = std::uint8_t(std::lround(rgb[k] * 255.0));
        table[std::size_t(i)][3] = 255;
    }
    return table;
}

Table sample(const Poly *poly)
{
    Table table{};
    for (int i = 0; i < 256; ++i) {
        const double t = i / 255.0;
        for (int k = 0; k < 3; ++k) {
            double value = t; // gray
            if (poly) {
                value = (*poly)[6][std::size_t(k)];
                for (int d = 5; d >= 0; --d)
                    value = value * t + (*poly)[std::size_t(d)][std::size_t(k)];
            }
            table[std::size_t(i)][std::size_t(k)] =
                std::uint8_t(std::lround(std::clamp(value, 0.0, 1.0) * 255.0));
        }
        table[std::size_t(i)][3] = 255;
    }
    return table;
}

} // namespace

const std::array<std::array<std::uint8_t, 4>, 256> &colormapTable(Colormap colormap)
{
    static const Table gray = sample(nullptr);
    static const Table viridis = sample(&kViridis);
    static const Table magma = sample(&kMagma);
    static const Table inferno = sample(&kInferno);
    static const Table divergingTable = diverging();
    switch (colormap) {
    case Colormap::Gray: return gray;
    case Colormap::Viridis: return viridis;
    case Colormap::Magma: return magma;
    case Colormap::Inferno: return inferno;
    case Colormap::Diverging: return divergingTable;
    }
    return gray;
}

} // namespace lathe::kernels
