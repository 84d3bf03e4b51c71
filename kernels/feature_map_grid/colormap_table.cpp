// The colour maps of featureMapGrid(): gray, and matplotlib's viridis, magma and inferno from
// their published degree-6 polynomial fits (Matt Zucker, CC0; max error ~1/255 against the
// matplotlib tables), sampled at 256 points.
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
    switch (colormap) {
    case Colormap::Gray: return gray;
    case Colormap::Viridis: return viridis;
    case Colormap::Magma: return magma;
    case Colormap::Inferno: return inferno;
    }
    return gray;
}

} // namespace lathe::kernels
