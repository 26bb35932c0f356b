// acquire_zarr.ZarrStream: a ZarrStream* owned by a Python object.
#pragma once

#include <pybind11/pybind11.h>

#include "acquire.zarr.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aqz_python {

class Stream
{
  public:
    explicit Stream(const pybind11::object& settings);
    ~Stream(); // closes (ZarrStream_destroy) without raising

    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    void append(const pybind11::object& data,
                const std::optional<std::string>& key);
    void skip(const pybind11::object& n_bytes,
              const std::optional<std::string>& key);
    bool write_custom_metadata(const pybind11::object& metadata,
                               const std::optional<std::string>& array_key,
                               const std::optional<std::string>& metadata_key);
    bool is_active() const { return stream_.load() != nullptr; }
    const std::vector<std::string>& get_array_keys() const { return array_keys_; }
    size_t get_current_memory_usage();
    void close();
    // Context-manager exit: closes, but does not let a close failure replace
    // an exception that is already propagating (it is logged instead).
    bool exit(const pybind11::object& exc_type,
              const pybind11::object& exc_value,
              const pybind11::object& traceback);
    std::string repr() const;

    // atexit: close every stream still open so that buffered data reaches
    // the store even if the Python objects are never collected.
    static void close_all();

  private:
    struct Outcome
    {
        bool closed = false;
        ZarrStatusCode status = ZarrStatusCode_Success;
        size_t bytes_out = 0;
        std::string error;
    };

    // Run `call(stream, outcome)` without the GIL and under `mutex_`. The GIL
    // must be released first: engine threads take it to log through Python.
    template<typename Call>
    Outcome locked_call(Call&& call);

    // Raise if `outcome` says the stream was closed or the call failed.
    void check(const Outcome& outcome, const char* operation) const;

    // `data` as a C-contiguous buffer object in logical order; checks a numpy
    // array's dtype against the target array's data type.
    pybind11::object contiguous_data(const pybind11::object& data,
                                     const std::optional<std::string>& key) const;
    std::optional<ZarrDataType> data_type_of(
      const std::optional<std::string>& key) const;

    void destroy_quietly(); // without the GIL
    static void unregister(Stream* stream);

    std::atomic<ZarrStream*> stream_{ nullptr };
    std::mutex mutex_; // serialises calls on stream_
    std::vector<std::pair<std::string, ZarrDataType>> array_types_;
    std::string store_path_;
    std::vector<std::string> array_keys_; // what append(key=) takes
};

} // namespace aqz_python
