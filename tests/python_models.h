#pragma once

// Models made by PyTorch itself, for the tests of imported models: Debian's python3-torch and
// python3-torchvision build, script or trace them at test time with seeded random weights
// (nothing downloads), and the child-process helpers that run that Python.

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryFile>

namespace lathe::testing {

/// A finished child process.
struct ProcessResult
{
    bool started = false;
    int exitCode = -1;
    QString out, err;
};

inline ProcessResult runProcess(const QString &program, const QStringList &args,
                                const QProcessEnvironment &env
                                = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(program, args);
    ProcessResult result;
    result.started = process.waitForStarted(10000);
    if (!result.started)
        return result;
    process.waitForFinished(180000);
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

/// PyTorch's Python: /usr/bin/python3, which has python3-torch (not the first python3 on PATH).
inline const char *kPython = "/usr/bin/python3";

/// Whether `module` imports in kPython.
inline bool pythonHas(const QString &module)
{
    return runProcess(kPython, {"-c", "import " + module}).exitCode == 0;
}

/// A PyTorch model for the import tests: Python that builds `m` (torch, torchvision and nn
/// imported, seed 0), and how it is saved: torch.jit.script, or torch.jit.trace on zeros of
/// `traceShape` (unchecked: PyTorch 1.13's check re-runs the model without autograd, where
/// nn.MultiheadAttention takes its fused path and the graphs differ).
struct PythonModel
{
    const char *name;
    const char *build;
    bool traced = false;
    const char *traceShape = "1, 1, 28, 28";
};

/// torchvision's ResNet-18 for 1-channel images, 10 classes (11.2M parameters).
inline const PythonModel kResnet18{"resnet18", "m = torchvision.models.resnet18(num_classes=10)\n"
                                               "m.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)"};

/// torchvision's MobileNetV3-Small for 1-channel images, 10 classes.
inline const PythonModel kMobileNetV3Small{
    "mobilenet_v3_small", "m = torchvision.models.mobilenet_v3_small(num_classes=10)\n"
                          "m.features[0][0] = nn.Conv2d(1, 16, 3, 2, 1, bias=False)"};

/// A small CNN traced (not scripted) by torch.jit.trace, 10 classes.
inline const PythonModel kTracedCnn{
    "traced_cnn",
    "m = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),\n"
    "                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 14 * 14, 10))",
    true};

/// torchvision's VisionTransformer cut small: 28x28 1-channel images in 7x7 patches, 2 layers,
/// 2 heads, width 32, 10 classes; traced.
inline const PythonModel kSmallVit{
    "small_vit",
    "m = torchvision.models.VisionTransformer(image_size=28, patch_size=7, num_layers=2,\n"
    "    num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)\n"
    "m.conv_proj = nn.Conv2d(1, 32, 7, 7)",
    true};

/// Builds `model` in PyTorch's Python (eval mode) and saves it as TorchScript to `path`, then
/// runs `then` (Python with the eager model `m` and `args`, the strings in `args` here).
/// Returns an empty string on success, else what Python printed (the tests fail with it:
/// python3-torchvision is in scripts/packages.txt).
/// Without `then`, the file is a function of the Python that made it (seeded) and of its name
/// (TorchScript names the archive's folder after it): the first test process to build it keeps a
/// copy in LATHE_TEST_MODEL_CACHE (a folder of the build tree), and the others copy that, so the
/// suite starts Python for it once, not in every test (~4 s each).
inline QString savePythonModel(const PythonModel &model, const QString &path,
                               const QString &then = {}, const QStringList &args = {})
{
    const QString code
        = QStringLiteral("import sys, torch, torchvision\n"
                         "from torch import nn\n"
                         "torch.manual_seed(0)\n")
          + model.build + QStringLiteral("\nm.eval()\n")
          + (model.traced
                 ? QStringLiteral("s = torch.jit.trace(m, torch.zeros(%1), check_trace=False)\n")
                       .arg(model.traceShape)
                 : QStringLiteral("s = torch.jit.script(m)\n"))
          + QStringLiteral("s.save(sys.argv[1])\nargs = sys.argv[2:]\n") + then;
    QString cached;
#ifdef LATHE_TEST_MODEL_CACHE
    if (then.isEmpty()) {
        const auto key = QCryptographicHash::hash(code.toUtf8(), QCryptographicHash::Sha256);
        cached = QStringLiteral(LATHE_TEST_MODEL_CACHE "/%1-%2")
                     .arg(QString::fromLatin1(key.toHex().left(16)), QFileInfo(path).fileName());
        QFile::remove(path);
        if (QFile::exists(cached) && QFile::copy(cached, path))
            return {};
    }
#endif
    // A file, not `python3 -c`: torch.jit.script reads the source of classes defined there.
    QTemporaryFile script(QDir::tempPath() + "/lathe-model-XXXXXX.py");
    if (!script.open() || script.write(code.toUtf8()) < 0 || !script.flush())
        return QStringLiteral("cannot write %1").arg(script.fileName());
    const auto result = runProcess(kPython, QStringList{script.fileName(), path} + args);
    if (result.exitCode == 0) {
        // Another test may be writing the same entry: a copy of its own, renamed into place
        // (atomic; the loser's rename fails and its copy goes).
        const auto partial = cached + QStringLiteral(".%1").arg(QCoreApplication::applicationPid());
        if (!cached.isEmpty() && QDir().mkpath(QFileInfo(cached).path())
            && QFile::copy(path, partial) && !QFile::rename(partial, cached))
            QFile::remove(partial);
        return {};
    }
    return QStringLiteral("%1 could not build %2 (exit %3): %4")
        .arg(kPython, model.name)
        .arg(result.exitCode)
        .arg(result.err.right(2000));
}

} // namespace lathe::testing
