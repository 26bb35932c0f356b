#pragma once

#include "format/NgffAxis.hpp"
#include "format/NgffDataset.hpp"
#include "spec/PlateSpec.hpp"
#include "spec/WellSpec.hpp"
#include "zarr.types.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace zarr {

/// The OME-NGFF documents of a stream's groups, as attributes to merge into
/// a group's attributes: NGFF 0.5 (inside "ome") for Zarr v3, NGFF 0.4 (at
/// the top level of .zattrs) for Zarr v2. Pure functions; every document
/// validates with ome-zarr-models given validated settings.
class NgffMetadata
{
  public:
    using Json = nlohmann::ordered_json;

    /// `{"ome": {"version": "0.5", "multiscales": [...]}}` (v3) or
    /// `{"multiscales": [{"version": "0.4", ...}]}` (v2). `datasets` are
    /// listed full resolution first; each has one scale per axis. With
    /// ZarrDownsamplingMethod_None (no pyramid) there is no `type`/`metadata`.
    /// An empty `name` is left out.
    static Json multiscales(ZarrVersion version,
                            const std::string& name,
                            const std::vector<NgffAxis>& axes,
                            const std::vector<NgffDataset>& datasets,
                            ZarrDownsamplingMethod method);

    /// The plate group's attributes: `{"ome": {"version": "0.5", "plate":
    /// {...}}}` (v3) or `{"plate": {"version": "0.4", ...}}` (v2).
    static Json plate(ZarrVersion version, const PlateSpec& plate);

    /// A well group's attributes: `{"ome": {"version": "0.5", "well":
    /// {...}}}` (v3) or `{"well": {"version": "0.4", ...}}` (v2).
    static Json well(ZarrVersion version, const WellSpec& well);
};

} // namespace zarr
