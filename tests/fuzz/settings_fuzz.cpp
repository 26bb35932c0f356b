// settings_fuzz: the C API settings fuzz harness (issue 8).
//
//   settings_fuzz [--seed N] [--cases N] [--first I] [--verbose]
//
// Case I of seed N (fuzz_settings.hpp, fuzz_mutations.hpp) is built in a
// fresh sandbox directory, then:
//  - the settings helpers (estimate, array count and keys) return
//    documented statuses, and an estimate that refuses means creation
//    refuses too;
//  - ZarrStream_create either returns NULL with a documented status (never
//    InternalError), a last error naming a field, and the sandbox (store,
//    its parent, an old store there) exactly as it was; or it returns a
//    stream, which gets random appends (partial frames, NULL data, NULL and
//    unknown keys, more than a bounded array holds), custom metadata and a
//    close, each answering as documented; then every array's metadata
//    must claim exactly the rows appended, in the storage order.
// Under ASan + UBSan (the asan preset) a crash, a sanitizer report or a
// leak fails the run; the failing case is named on stderr (a watchdog
// names a hang). The Python fuzz test reads the data back independently.
#include "fuzz_disk.hpp"
#include "fuzz_mutations.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace fuzz;

namespace {

constexpr size_t kMaxEstimate = size_t(64) << 20; // bigger streams are only estimated
constexpr size_t kMaxAppend = size_t(256) << 10;
constexpr uint64_t kMaxFiles = 256;
constexpr unsigned kCaseSeconds = 60; // the watchdog: a hang fails the run

// What names the current case when the process dies (written from a signal
// handler, so prepared beforehand).
char g_current[160] = "settings_fuzz: before the first case\n";

void
name_current_case()
{
    const ssize_t ignored = write(2, g_current, strlen(g_current));
    (void)ignored;
}

extern "C" void
on_fatal_signal(int signal)
{
    name_current_case();
    if (signal == SIGALRM) {
        const char hang[] = "settings_fuzz: the case hangs (no answer within the watchdog)\n";
        const ssize_t ignored = write(2, hang, sizeof hang - 1);
        (void)ignored;
    }
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

extern "C" void
discard_log(ZarrLogLevel, const char*, void* lines)
{
    ++*static_cast<size_t*>(lines);
}

bool
documented(ZarrStatusCode status)
{
    const int raw = get_raw(status);
    return raw > 0 && raw < ZarrStatusCodeCount && raw != ZarrStatusCode_InternalError;
}

const char* const kFieldWords[] = {
    "store_path", "output_key", "dimension", "name", "type", "array_size_px", "chunk",
    "shard", "data_type", "compress", "codec", "level", "shuffle", "downsampling",
    "max_levels", "storage_dimension_order", "plate", "well", "row", "column", "acquisition",
    "path", "max_threads", "version", "scale", "unit", "memory", "MiB", "key", "OME-NGFF",
    "arrays", "array_count", "s3_settings", "hcs_settings", "root", "directory", "NULL",
};

bool
names_a_field(const std::string& message)
{
    for (const char* word : kFieldWords) {
        if (message.find(word) != std::string::npos) {
            return true;
        }
    }
    return false;
}

size_t
bytes_of(ZarrDataType type)
{
    static const size_t sizes[] = { 1, 2, 4, 8, 1, 2, 4, 8, 4, 8 };
    return sizes[get_raw(type)];
}

std::string
normalised(const char* key)
{
    std::string text = key ? key : "";
    while (!text.empty() && text.front() == '/') {
        text.erase(0, 1);
    }
    while (!text.empty() && text.back() == '/') {
        text.pop_back();
    }
    return text;
}

// ---- one array of a created stream ----------------------------------------

struct Model
{
    std::string key;
    bool ngff = false;
    std::vector<uint64_t> sizes; // acquisition order
    std::vector<std::string> names;
    std::vector<size_t> order; // stored dimension i is acquired dimension order[i]
    uint64_t frame_bytes = 0;
    uint64_t capacity = 0; // 0: unbounded
    uint64_t accepted = 0;
    uint64_t files_per_row = 1;

    Model(const ZarrArraySettings& a, std::string key_, bool field, ZarrVersion version)
      : key(std::move(key_))
      , ngff(field || a.is_ngff || get_raw(a.downsampling_method) != 0)
    {
        const size_t n = a.dimension_count;
        for (size_t i = 0; i < n; ++i) {
            const auto& d = a.dimensions[i];
            sizes.push_back(d.array_size_px);
            names.push_back(d.name);
            order.push_back(a.storage_dimension_order ? a.storage_dimension_order[i] : i);
            const uint64_t per_file =
              uint64_t(d.chunk_size_px) * (version == ZarrVersion_3 ? d.shard_size_chunks : 1);
            if (i > 0 || n == 2) {
                files_per_row *= (d.array_size_px + per_file - 1) / per_file;
            }
        }
        frame_bytes = sizes[n - 1] * sizes[n - 2] * bytes_of(a.data_type);
        if (sizes[0] > 0) {
            capacity = frame_bytes;
            for (size_t i = 0; i + 2 < n; ++i) {
                capacity *= sizes[i];
            }
        }
    }

    uint64_t frames_per_row() const
    {
        uint64_t count = 1;
        for (size_t i = 1; i + 2 < sizes.size(); ++i) {
            count *= sizes[i];
        }
        return count;
    }

    /// The shape the metadata must claim, in storage order.
    std::vector<uint64_t> claimed_shape() const
    {
        std::vector<uint64_t> shape = sizes;
        if (shape.size() > 2) {
            const uint64_t frames = (accepted + frame_bytes - 1) / frame_bytes;
            shape[0] = (frames + frames_per_row() - 1) / frames_per_row();
        }
        std::vector<uint64_t> stored;
        for (size_t index : order) {
            stored.push_back(shape[index]);
        }
        return stored;
    }
};

struct Outcome
{
    std::vector<std::string> problems;
    std::string result;
    void fail(const std::string& what) { problems.push_back(what); }
};

std::string
status_text(ZarrStatusCode status)
{
    return std::to_string(get_raw(status)) + " (" + Zarr_get_status_message(status) + ")";
}

/// Random appends to the stream's arrays; checks every answer.
void
append_randomly(ZarrStream* stream, std::vector<Model>& models, Rng& rng, Outcome& out)
{
    std::vector<uint8_t> data(kMaxAppend);
    for (auto& byte : data) {
        byte = uint8_t(rng.below(256));
    }
    const int ops = rng.range(0, 12);
    for (int op = 0; op < ops && !models.empty(); ++op) {
        Model& m = models[rng.below(models.size())];
        if (m.files_per_row * (m.capacity ? 1 : 2) > kMaxFiles) {
            continue; // thousands of tiny chunk files: slow here, and legal
        }
        const int kind = rng.range(0, 9);
        const uint64_t room = m.capacity ? m.capacity - m.accepted : UINT64_MAX;
        size_t bytes = std::min<uint64_t>(m.frame_bytes * rng.below(4) + rng.below(m.frame_bytes + 1),
                                          kMaxAppend);
        const void* source = data.data();
        if (kind == 3) {
            source = nullptr; // zeros
            // Far past the end, where the end is near (zeros up to a distant
            // end are legal work, and slow).
            if (m.capacity && room <= kMaxAppend && rng.chance(0.5)) {
                bytes = rng.chance(0.5) ? SIZE_MAX : size_t(room) + 1;
            }
        } else if (m.capacity && kind == 4) {
            bytes = std::min<uint64_t>(room + rng.below(100), kMaxAppend);
        }
        std::string key_text = m.key;
        const char* key = key_text.c_str();
        ZarrStatusCode want = ZarrStatusCode_Success;
        if (kind == 1) {
            key = "no/such/array";
            want = ZarrStatusCode_KeyNotFound;
        } else if (kind == 2) {
            key = nullptr;
            if (models.size() > 1) {
                want = ZarrStatusCode_KeyNotFound;
            }
        } else if (kind == 5) {
            key_text = "/" + m.key + "/"; // the same key, spelled with slashes
            key = key_text.c_str();
        }
        size_t written = 12345;
        const bool null_out = kind == 0;
        if (null_out) {
            want = ZarrStatusCode_InvalidArgument;
        }
        if (want == ZarrStatusCode_Success && bytes > room) {
            want = ZarrStatusCode_WriteOutOfBounds;
        }
        const ZarrStatusCode got =
          ZarrStream_append(stream, source, bytes, null_out ? nullptr : &written, key);
        if (get_raw(got) != get_raw(want)) {
            out.fail("append of " + std::to_string(bytes) + " bytes (kind " + std::to_string(kind) +
                     ") to '" + m.key + "' returned " + status_text(got) + ", not " +
                     status_text(want) + ": " + Zarr_get_last_error());
            return;
        }
        const size_t expected = want == ZarrStatusCode_Success ? bytes
                                : want == ZarrStatusCode_WriteOutOfBounds ? size_t(room)
                                                                          : 0;
        if (!null_out && written != expected) {
            out.fail("append to '" + m.key + "' reported " + std::to_string(written) +
                     " bytes written, not " + std::to_string(expected));
        }
        m.accepted += expected;
    }
    size_t usage = 0;
    if (ZarrStream_get_current_memory_usage(stream, &usage) != ZarrStatusCode_Success) {
        out.fail(std::string("get_current_memory_usage failed: ") + Zarr_get_last_error());
    }
    const Model& m = models[rng.below(models.size())];
    const char* documents[] = { "{\"fuzz\": 1}", "{\"a\": [1, {\"b\": null}]}", "not json", "[1]" };
    const int which = rng.range(0, 3);
    const ZarrStatusCode status = ZarrStream_write_custom_metadata(
      stream, m.key.c_str(), which == 3 ? "k" : nullptr, documents[which]);
    if (get_raw(status) != (which == 2 ? ZarrStatusCode_InvalidArgument : ZarrStatusCode_Success)) {
        out.fail("write_custom_metadata(" + std::string(documents[which]) + ") returned " +
                 status_text(status) + ": " + Zarr_get_last_error());
    }
}

void
check_metadata(const fs::path& store, const Model& m, ZarrVersion version, Outcome& out)
{
    fs::path node = m.key.empty() ? store : store / m.key;
    if (m.ngff) {
        node /= "0";
    }
    const fs::path document = node / (version == ZarrVersion_3 ? "zarr.json" : ".zarray");
    std::ifstream file(document);
    const Json metadata = Json::parse(file, nullptr, false);
    if (metadata.is_discarded() || !metadata.contains("shape")) {
        out.fail("no readable array metadata at " + document.string());
        return;
    }
    const auto want = m.claimed_shape();
    if (metadata["shape"].get<std::vector<uint64_t>>() != want) {
        out.fail(document.string() + " claims shape " + metadata["shape"].dump() +
                 " after " + std::to_string(m.accepted) + " bytes; want " + Json(want).dump());
    }
    if (version == ZarrVersion_3) {
        std::vector<std::string> names;
        for (size_t index : m.order) {
            names.push_back(m.names[index]);
        }
        if (metadata.value("dimension_names", Json()) != Json(names)) {
            out.fail(document.string() + " has dimension_names " +
                     metadata.value("dimension_names", Json()).dump());
        }
    }
}

// ---- one case --------------------------------------------------------------

Outcome
run_case(Case& c, const fs::path& base, int index)
{
    Outcome out;
    Sandbox box(base, index);
    const bool null_path = c.store_path == "NULL";
    const std::string path = spelled(c.store_path, box.dir);
    std::error_code error;
    fs::path resolved;
    if (!null_path && !path.empty()) {
        resolved = fs::weakly_canonical(fs::absolute(box.work / path, error), error);
    }
    const bool ours = !null_path && !path.empty() && !error && inside(resolved, box.dir);
    if (!ours) {
        // The root, the working directory's parents: a regression would
        // remove them with overwrite, so only without (the refusal is
        // what is tested).
        c.settings.overwrite = false;
    }
    c.settings.store_path = null_path ? nullptr : path.c_str();
    const bool v2 = get_raw(c.settings.version) == ZarrVersion_2;
    bool existing = false;
    if (ours && c.existing_store && !fs::exists(resolved, error)) {
        fs::create_directories(resolved.parent_path(), error);
        fs::copy(old_store(base, v2), resolved, fs::copy_options::recursive, error);
        existing = !error;
    }
    const auto root_before = root_listing();
    const Snapshot before = snapshot(box.dir);
    fs::current_path(box.work);

    // The helpers first: documented statuses, and an estimate that refuses
    // means creation refuses.
    size_t estimate = 0;
    const ZarrStatusCode estimated = ZarrStreamSettings_estimate_max_memory_usage(&c.settings, &estimate);
    // An estimate is arithmetic: running out of memory there means it
    // allocates what it only should count.
    if (estimated != ZarrStatusCode_Success &&
        (!documented(estimated) || get_raw(estimated) == ZarrStatusCode_OutOfMemory)) {
        out.fail("estimate returned " + status_text(estimated) + ": " + Zarr_get_last_error());
    }
    const size_t count = ZarrStreamSettings_get_array_count(&c.settings);
    for (size_t i = 0; i <= count; ++i) {
        char* key = nullptr;
        const ZarrStatusCode status = ZarrStreamSettings_get_array_key(&c.settings, i, &key);
        if (i == count && get_raw(status) != ZarrStatusCode_InvalidIndex) {
            out.fail("get_array_key(" + std::to_string(i) + ") of " + std::to_string(count) +
                     " returned " + status_text(status));
        }
        free(key);
    }
    if (estimated == ZarrStatusCode_Success && estimate > kMaxEstimate) {
        out.result = "estimated only (" + std::to_string(estimate >> 20) + " MiB)";
        return out;
    }

    ZarrStream* stream = ZarrStream_create(&c.settings);
    if (!stream) {
        const ZarrStatusCode status = Zarr_get_last_status();
        const std::string message = Zarr_get_last_error();
        out.result = "refused: " + message.substr(0, 160);
        if (!documented(status)) {
            out.fail("ZarrStream_create returned NULL with status " + status_text(status));
        }
        if (!names_a_field(message)) {
            out.fail("the refusal names no field: '" + message.substr(0, 300) + "'");
        }
        if (c.mutations.empty()) {
            out.fail("valid settings were refused: '" + message.substr(0, 300) + "'");
        }
        // (Thread stacks are not in the estimate: a pids or address-space
        // limit may refuse them.)
        if (get_raw(status) == ZarrStatusCode_OutOfMemory && estimated == ZarrStatusCode_Success &&
            message.find("worker threads") == std::string::npos) {
            out.fail("out of memory, though the estimate was " + std::to_string(estimate) +
                     " bytes: '" + message.substr(0, 200) + "'");
        }
        const Snapshot after = snapshot(box.dir);
        if (after != before) {
            out.fail("the refused creation changed the disk:" + difference(before, after) +
                     " (refused with '" + message.substr(0, 200) + "')");
        }
        if (root_listing() != root_before) {
            out.fail("the refused creation changed the filesystem root");
        }
        return out;
    }
    if (estimated != ZarrStatusCode_Success) {
        out.fail("the estimate refused (" + status_text(estimated) + ") but creation succeeded");
    }
    if (!ours) {
        out.fail("a store outside the sandbox was accepted: '" + path + "'");
    }
    const ZarrVersion version = v2 ? ZarrVersion_2 : ZarrVersion_3;
    std::vector<Model> models;
    for (size_t i = 0; i < c.settings.array_count; ++i) {
        models.emplace_back(c.settings.arrays[i], normalised(c.settings.arrays[i].output_key),
                            false, version);
    }
    for (const auto& plate : c.plates) {
        for (size_t w = 0; w < plate.well_count; ++w) {
            const auto& well = plate.wells[w];
            for (size_t f = 0; f < well.image_count; ++f) {
                const std::string key = normalised(plate.path) + "/" + well.row_name + "/" +
                                        well.column_name + "/" + normalised(well.images[f].path);
                models.emplace_back(*well.images[f].array_settings, key, true, version);
            }
        }
    }
    Rng data_rng(uint64_t(index) * 7919 + 17);
    append_randomly(stream, models, data_rng, out);
    const ZarrStatusCode closed = ZarrStream_close(stream);
    if (closed != ZarrStatusCode_Success) {
        out.fail("close returned " + status_text(closed) + ": " + Zarr_get_last_error());
    }
    out.result = "created " + std::to_string(models.size()) + " array(s)";
    if (!ours) {
        return out;
    }
    for (const auto& m : models) {
        check_metadata(resolved, m, version, out);
    }
    if (existing) {
        const bool kept = fs::exists(resolved / "note.txt");
        if (kept == bool(c.settings.overwrite)) {
            out.fail(c.settings.overwrite ? "overwrite kept the old store's note.txt"
                                          : "the old store's note.txt is gone");
        }
    }
    return out;
}

std::string
describe(Case& c)
{
    std::ostringstream text;
    text << "store_path '" << c.store_path << "', mutations:";
    for (const auto& name : c.mutations) {
        text << " " << name;
    }
    text << "; version " << get_raw(c.settings.version);
    for (const ZarrArraySettings* a : c.all_arrays()) {
        text << "; array type " << get_raw(a->data_type) << " method "
             << get_raw(a->downsampling_method) << (a->compression_settings ? " compressed" : "")
             << " dims (type:size/chunk/shard)";
        for (size_t i = 0; a->dimensions && i < a->dimension_count && i < 12; ++i) {
            const auto& d = a->dimensions[i];
            text << " " << get_raw(d.type) << ":" << d.array_size_px << "/" << d.chunk_size_px
                 << "/" << d.shard_size_chunks;
        }
    }
    return text.str();
}

} // namespace

int
main(int argc, char** argv)
{
    uint64_t seed = 1;
    int cases = 200, first = 0;
    bool verbose = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--seed" && i + 1 < argc) {
            seed = std::stoull(argv[++i]);
        } else if (arg == "--cases" && i + 1 < argc) {
            cases = std::stoi(argv[++i]);
        } else if (arg == "--first" && i + 1 < argc) {
            first = std::stoi(argv[++i]);
        } else if (arg == "--verbose") {
            verbose = true;
        } else {
            fprintf(stderr, "usage: %s [--seed N] [--cases N] [--first I] [--verbose]\n", argv[0]);
            return 2;
        }
    }
    for (int signal : { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGALRM }) {
        std::signal(signal, on_fatal_signal);
    }
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(name_current_case);
#endif
    size_t log_lines = 0;
    Zarr_set_log_callback(discard_log, &log_lines);

    char pattern[] = "/tmp/aqz-settings-fuzz-XXXXXX";
    if (!mkdtemp(pattern)) {
        perror("mkdtemp");
        return 2;
    }
    const fs::path base = fs::canonical(pattern);
    int failed = 0, refused = 0;
    for (int index = first; index < first + cases; ++index) {
        Rng rng(seed * 1000003u + uint64_t(index));
        Case c;
        make_valid(c, rng);
        mutate(c, rng);
        link(c);
        snprintf(g_current, sizeof g_current,
                 "settings_fuzz: in case %d of seed %llu (rerun: --seed %llu --first %d --cases 1)\n",
                 index, (unsigned long long)seed, (unsigned long long)seed, index);
        alarm(kCaseSeconds);
        const auto start = std::chrono::steady_clock::now();
        const Outcome out = run_case(c, base, index);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start).count();
        alarm(0);
        refused += out.result.rfind("refused", 0) == 0;
        if (verbose || !out.problems.empty()) {
            printf("case %d (%lld ms): %s (%s)\n", index, (long long)ms, out.result.c_str(),
                   describe(c).c_str());
        }
        for (const auto& problem : out.problems) {
            printf("  FAILED: %s\n", problem.c_str());
        }
        failed += !out.problems.empty();
        fflush(stdout);
    }
    std::error_code error;
    fs::remove_all(base, error);
    printf("settings_fuzz: seed %llu, cases %d..%d: %d refused, %d failed, %zu log lines\n",
           (unsigned long long)seed, first, first + cases - 1, refused, failed, log_lines);
    return failed ? 1 : 0;
}
