// The value types InspectSession hands to the panels: plain Qt values and images, no tensors.
#pragma once

#include <QImage>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace lathe::data {
class Dataset;
}

namespace lathe::panels {

/// Which checkpoint of which run an inspection reads.
struct InspectKey
{
    qint64 runId = 0;
    QString checkpoint = QStringLiteral("best");

    bool operator==(const InspectKey &) const = default;
};

/// One checkpoint on disk ("best", "last", "epoch-N") and what it recorded.
struct InspectCheckpoint
{
    QString name;
    qint64 epoch = 0;
    qint64 step = 0;
};

/// One stage of the network: its name, output shape for one sample and whether it is a
/// [C,H,W] map (feature maps and Grad-CAM apply).
struct InspectLayer
{
    QString name;
    QList<qint64> shape;
    bool spatial = false;
};

/// What the panels need to know about a loaded checkpoint.
struct InspectModelInfo
{
    InspectKey key;
    QString runName;
    QString arch;
    QStringList classNames;
    QList<InspectLayer> layers;
    QString gradCamLayer; ///< Grad-CAM's default layer (inspect::lastSpatialLayer); may be empty
    qint64 testSize = 0;  ///< 0 when the run has no test set
    int channels = 0, height = 0, width = 0;
    int attentionLayers = 0; ///< 0 for a model without attention
    int attentionHeads = 0;
};

/// The sample an inspection explains: a test-set index of the run, or a sample of another
/// dataset (the Dataset panel's, its TRAIN split) given as the dataset and an index.
struct InspectSample
{
    qint64 testIndex = 0;
    std::shared_ptr<const data::Dataset> dataset; ///< set: use dataset[datasetIndex] instead
    qint64 datasetIndex = -1;

    bool isTest() const { return !dataset; }
};

/// A sample as the model sees it: its image, true label and the model's prediction.
struct InspectSampleInfo
{
    QImage image;
    qint64 label = -1; ///< -1 when unknown
    qint64 predicted = -1;
    double confidence = 0.0; ///< softmax probability of `predicted`
};

/// What a Visualise view shows.
enum class InspectMode {
    FeatureMaps,
    Saliency,
    GradCam,
    IntegratedGradients,
    Occlusion,
    Attention,
    Adversarial ///< a PGD example beside its clean image, and the perturbation
};

/// Colour maps for feature maps and heatmaps. Diverging is centred on 0 for signed maps.
enum class InspectColormap { Viridis, Magma, Gray, Diverging };

/// Integrated Gradients' baseline image.
enum class IgBaseline { Black, Mean, Blurred };

/// How to draw one view (the fields that do not apply to the mode are ignored).
struct InspectOptions
{
    InspectMode mode = InspectMode::FeatureMaps;
    QString layer; ///< feature maps, Grad-CAM
    InspectColormap colormap = InspectColormap::Viridis;
    bool sharedNormalization = false; ///< feature maps: one range for all channels
    std::optional<qint64> target;     ///< attributions: class explained (empty = predicted)
    int igSteps = 32;
    IgBaseline igBaseline = IgBaseline::Black;
    int occlusionWindow = 4;
    int occlusionStride = 2;
    int attentionLayer = -1; ///< -1 = rollout across layers
    int attentionHead = -1;  ///< -1 = mean of the heads
    double epsilon = 0.1;    ///< adversarial: L-infinity radius in pixel units ([0, 1] images)
    int attackSteps = 20;    ///< adversarial: PGD steps
};

/// One rendered view. For feature maps `image` is the channel grid (geometry below); for the
/// other modes it is a heatmap the size of `input`, to draw over it with some opacity.
struct InspectRender
{
    InspectMode mode = InspectMode::FeatureMaps;
    QImage input; ///< the sample (RGB32)
    QImage image; ///< the grid or heatmap (RGBA8888)
    int channels = 0, columns = 0, rows = 0, tileWidth = 0, tileHeight = 0, padding = 0;
    qint64 target = -1;                      ///< attributions: class explained
    double score = 0.0;                      ///< its logit
    std::optional<double> completenessError; ///< Integrated Gradients only
    double attributionSum = 0.0, scoreDelta = 0.0;
    double low = 0.0, high = 0.0; ///< the value range the colour map spans
};

/// One test sample's prediction.
struct InspectPrediction
{
    qint64 index = 0;
    qint64 label = 0;
    qint64 predicted = 0;
    float confidence = 0.0F;
    float loss = 0.0F;
};

/// The confusion matrix of a checkpoint on its test set, or on its validation split when the
/// run has no test set.
struct InspectErrors
{
    InspectKey key;
    bool validation = false; ///< evaluated on the validation split (the run has no test set)
    /// The validation samples `predictions` index, when `validation` (for their attributions).
    std::shared_ptr<const data::Dataset> validationSamples;
    QStringList classNames;
    QList<QList<qint64>> confusion; ///< [true][predicted]
    QList<double> precision, recall, f1;
    double accuracy = 0.0;
    QList<InspectPrediction> predictions; ///< in the order of the evaluated set
    /// Cell (true t, predicted p) at t * K + p: positions in `predictions`, highest loss first
    /// (as core's ErrorReport::cell orders them).
    QList<QList<int>> cells;

    QList<InspectPrediction> cell(int label, int predicted) const;
};

} // namespace lathe::panels

Q_DECLARE_METATYPE(lathe::panels::InspectKey)
Q_DECLARE_METATYPE(lathe::panels::InspectModelInfo)
Q_DECLARE_METATYPE(lathe::panels::InspectSampleInfo)
Q_DECLARE_METATYPE(lathe::panels::InspectRender)
Q_DECLARE_METATYPE(lathe::panels::InspectErrors)
