// fuzz_disk.hpp: the disk as settings_fuzz.cpp sees it: snapshots of a
// directory tree (to prove a refusal changed nothing), the case's sandbox,
// and an old store to overwrite or add to.
#pragma once

#include "acquire.zarr.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace fuzz {

namespace fs = std::filesystem;

using Snapshot = std::map<std::string, std::string>;

inline Snapshot
snapshot(const fs::path& root)
{
    Snapshot found;
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(root, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        const std::string rel = fs::relative(it->path(), root, error).string();
        if (it->is_directory(error)) {
            found[rel] = "dir";
            continue;
        }
        std::ifstream file(it->path(), std::ios::binary);
        uint64_t hash = 1469598103934665603ull; // FNV-1a
        size_t size = 0;
        for (char c; file.get(c); ++size) {
            hash = (hash ^ uint8_t(c)) * 1099511628211ull;
        }
        found[rel] = std::to_string(size) + ":" + std::to_string(hash);
    }
    return found;
}

inline std::string
difference(const Snapshot& before, const Snapshot& after)
{
    std::string text;
    for (const auto& [path, what] : after) {
        auto it = before.find(path);
        if (it == before.end() || it->second != what) {
            text += (it == before.end() ? " +" : " ~") + path;
        }
    }
    for (const auto& [path, what] : before) {
        if (!after.count(path)) {
            text += " -" + path;
        }
    }
    return text.substr(0, 600);
}

inline std::vector<std::string>
root_listing()
{
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator("/")) {
        names.push_back(entry.path().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

/// An old store (array "old" and a file not the engine's), once per version.
inline fs::path
old_store(const fs::path& base, bool v2)
{
    const fs::path path = base / (v2 ? "template-v2.zarr" : "template-v3.zarr");
    if (fs::exists(path)) {
        return path;
    }
    ZarrDimensionProperties dims[] = { { "t", ZarrDimensionType_Time, 0, 1, 1, nullptr, 0 },
                                       { "y", ZarrDimensionType_Space, 4, 4, 1, nullptr, 0 },
                                       { "x", ZarrDimensionType_Space, 4, 4, 1, nullptr, 0 } };
    ZarrArraySettings array{};
    array.output_key = "old";
    array.data_type = ZarrDataType_uint8;
    array.dimensions = dims;
    array.dimension_count = 3;
    const std::string store = path.string();
    ZarrStreamSettings settings{};
    settings.store_path = store.c_str();
    settings.version = v2 ? ZarrVersion_2 : ZarrVersion_3;
    settings.arrays = &array;
    settings.array_count = 1;
    ZarrStream* stream = ZarrStream_create(&settings);
    const std::vector<uint8_t> sevens(32, 7);
    size_t out = 0;
    if (!stream || ZarrStream_append(stream, sevens.data(), sevens.size(), &out, nullptr) ||
        ZarrStream_close(stream)) {
        fprintf(stderr, "settings_fuzz: cannot write the old store: %s\n", Zarr_get_last_error());
        exit(2);
    }
    std::ofstream(path / "note.txt") << "not ours";
    return path;
}

/// A case's directory: `work` (the working directory during the case) with
/// a subdirectory, and a file that is not a directory; removed at the end.
struct Sandbox
{
    fs::path dir, work;
    Sandbox(const fs::path& base, int index)
      : dir(base / ("case-" + std::to_string(index)))
      , work(dir / "work")
    {
        fs::create_directories(work / "sub");
        std::ofstream(dir / "file.txt") << "a file, not a directory";
        std::ofstream(work / "keep.txt") << "the working directory's own file";
    }
    ~Sandbox()
    {
        std::error_code error;
        fs::current_path(dir.parent_path(), error);
        fs::remove_all(dir, error);
    }
};

/// A case's store path with "{sandbox}" put in.
inline std::string
spelled(std::string path, const fs::path& sandbox)
{
    const std::string marker = "{sandbox}";
    if (path.rfind(marker, 0) == 0) {
        path = sandbox.string() + path.substr(marker.size());
    }
    return path;
}

inline bool
inside(const fs::path& resolved, const fs::path& sandbox)
{
    const std::string text = resolved.string();
    return text.rfind(sandbox.string() + "/", 0) == 0;
}

} // namespace fuzz
