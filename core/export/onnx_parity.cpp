#include "core/export/onnx_parity.h"

#include "core/util/join.h"
#include "core/util/paths.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

extern char **environ;

namespace lathe::exporting {

namespace {

constexpr double kOnnxTolerance = 1e-4;

void writeRaw(const std::filesystem::path &file, const torch::Tensor &t)
{
    const torch::Tensor c = t.to(torch::kFloat).contiguous();
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char *>(c.data_ptr<float>()),
              std::streamsize(c.numel() * sizeof(float)));
}

std::string readText(const std::filesystem::path &file)
{
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Runs `argv` with `dir` as LATHE_ONNXRUNTIME_DIR, stdout and stderr into `log`; its exit status.
int runNode(const std::vector<std::string> &argv, const std::filesystem::path &dir,
            const std::filesystem::path &log)
{
    std::vector<std::string> env{"LATHE_ONNXRUNTIME_DIR=" + dir.string()};
    for (char **e = environ; *e; ++e)
        if (std::string(*e).rfind("LATHE_ONNXRUNTIME_DIR=", 0) != 0)
            env.emplace_back(*e);
    std::vector<char *> args, envp;
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    for (const auto &e : env)
        envp.push_back(const_cast<char *>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

ParityResult onnxRuntimeParity(const std::filesystem::path &model, const torch::Tensor &input,
                               const torch::Tensor &expected,
                               const std::filesystem::path &runtimeDir)
{
    ParityResult result;
    result.tolerance = kOnnxTolerance;
    std::error_code ec;
    std::filesystem::path dir = runtimeDir;
    if (dir.empty()) {
        if (const char *env = std::getenv("LATHE_ONNXRUNTIME_DIR"))
            dir = env;
        else // a build tree: scripts/setup installs it into <build>/npm, two up from the exe
            dir = std::filesystem::read_symlink("/proc/self/exe", ec)
                      .parent_path()
                      .parent_path()
                      .parent_path()
                  / "npm";
    }
    if (dir.empty()
        || !std::filesystem::is_directory(dir / "node_modules" / "onnxruntime-node", ec)) {
        result.detail = "not checked: onnxruntime-node not found (set LATHE_ONNXRUNTIME_DIR to the "
                        "folder of `npm install --ignore-scripts onnxruntime-node`)";
        return result;
    }
    const auto script = util::resourceDir() / "onnx" / "run_onnx.js";
    const auto work = std::filesystem::temp_directory_path(ec)
                      / ("lathe-onnx-parity-" + std::to_string(getpid()));
    std::filesystem::create_directories(work, ec);
    writeRaw(work / "input.bin", input);
    const std::string shape = util::join(input.sizes(), ",");
    const int status
        = runNode({"node", script.string(), model.string(), (work / "input.bin").string(), shape,
                   (work / "output.bin").string()},
                  dir, work / "log.txt");
    const std::string log = readText(work / "log.txt");
    torch::Tensor actual;
    if (status == 0) {
        std::ifstream in(work / "output.bin", std::ios::binary);
        actual = torch::empty(expected.sizes(), torch::kFloat);
        in.read(reinterpret_cast<char *>(actual.data_ptr<float>()),
                std::streamsize(actual.numel() * sizeof(float)));
        if (in.gcount() != std::streamsize(actual.numel() * sizeof(float)))
            actual = torch::Tensor();
    }
    std::filesystem::remove_all(work, ec);
    result.checked = true;
    if (status < 0) {
        result.checked = false;
        result.detail = "not checked: node could not be started";
        return result;
    }
    if (!actual.defined()) {
        result.detail = "onnxruntime failed: " + log;
        return result;
    }
    result.maxAbsDiff = (actual - expected.to(torch::kFloat)).abs().max().item<double>();
    result.passed = result.maxAbsDiff <= kOnnxTolerance;
    result.detail = "onnxruntime-node on " + std::to_string(input.size(0)) + " test images";
    return result;
}

} // namespace lathe::exporting
