// The C settings structs for one call into the C API, built from the plain
// data that StreamSettings._lower() returns.
#pragma once

#include <pybind11/pybind11.h>

#include "acquire.zarr.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace aqz_python {

class CSettings
{
  public:
    // Reads `lowered` (needs the GIL). Python has already checked the types
    // and the ranges the C fields can hold; the engine validates the rest.
    explicit CSettings(const pybind11::dict& lowered);

    // The structs point into this object's storage: neither copy nor move.
    CSettings(const CSettings&) = delete;
    CSettings& operator=(const CSettings&) = delete;

    ZarrStreamSettings* get() { return &settings_; }

    // Each array's key (as append() takes it, without surrounding '/') and
    // data type, used to check numpy dtypes before appending.
    const std::vector<std::pair<std::string, ZarrDataType>>& array_types() const
    {
        return array_types_;
    }

    // The JSON object to merge into the only array's attributes once the
    // stream exists, or empty.
    const std::string& custom_metadata() const { return custom_metadata_; }

  private:
    // Stable C strings: std::deque never moves its elements.
    const char* keep(const std::string& text);
    const char* keep_optional(pybind11::handle text); // None -> NULL

    ZarrArraySettings convert_array(const pybind11::dict& array);
    ZarrHCSPlate convert_plate(const pybind11::dict& plate);
    void record_type(const std::string& key, ZarrDataType type);

    std::deque<std::string> strings_;
    std::deque<std::vector<const char*>> string_lists_;
    std::deque<std::vector<ZarrDimensionProperties>> dimensions_;
    std::deque<ZarrCompressionSettings> compressions_;
    std::deque<std::vector<size_t>> dimension_orders_;
    std::vector<ZarrArraySettings> arrays_;
    std::deque<ZarrArraySettings> field_arrays_;
    std::deque<std::vector<ZarrHCSFieldOfView>> fields_;
    std::deque<std::vector<ZarrHCSWell>> wells_;
    std::deque<std::vector<ZarrHCSAcquisition>> acquisitions_;
    std::vector<ZarrHCSPlate> plates_;
    ZarrHCSSettings hcs_{};
    ZarrS3Settings s3_{};
    ZarrStreamSettings settings_{};

    std::vector<std::pair<std::string, ZarrDataType>> array_types_;
    std::string custom_metadata_;
};

// `key` without leading and trailing '/', as the engine resolves keys.
std::string
normalize_key(const std::string& key);

} // namespace aqz_python
