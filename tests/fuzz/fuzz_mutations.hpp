// fuzz_mutations.hpp: edge and invalid values for one field of a Case.
// Each mutation only writes what a C caller could write: it never makes a
// count larger than the memory behind its pointer (that would be the
// caller's bug, not the library's).
#pragma once

#include "fuzz_settings.hpp"

#include <functional>

namespace fuzz {

inline const std::vector<int> kBadEnums = { -1, 5, 7, 10, 11, 100, INT_MAX, INT_MIN };
inline const std::vector<uint32_t> kSizes = { 0,     1,          2,          3,        4096,
                                              65537, 1u << 20,   1u << 31,   UINT32_MAX,
                                              UINT32_MAX - 1 };

inline ZarrArraySettings*
some_array(Case& c, Rng& rng)
{
    auto all = c.all_arrays();
    return all.empty() ? nullptr : all[rng.below(all.size())];
}

inline ZarrDimensionProperties*
some_dimension(Case& c, Rng& rng)
{
    ZarrArraySettings* a = some_array(c, rng);
    if (!a || !a->dimensions || a->dimension_count == 0) {
        return nullptr;
    }
    return &a->dimensions[rng.below(a->dimension_count)];
}

using Mutation = std::function<void(Case&, Rng&)>;

inline const std::vector<std::pair<const char*, Mutation>>&
mutations()
{
    static const std::vector<std::pair<const char*, Mutation>> all = {
        { "null-dimensions",
          [](Case& c, Rng& rng) {
              if (auto* a = some_array(c, rng)) {
                  a->dimensions = nullptr;
              }
          } },
        { "dimension-count",
          [](Case& c, Rng& rng) {
              auto* a = some_array(c, rng);
              if (!a) {
                  return;
              }
              const size_t n = rng.pick(std::vector<size_t>{ 0, 1, 9, 33, 64 });
              if (n <= a->dimension_count) {
                  a->dimension_count = n; // a shorter prefix of what is there
                  return;
              }
              auto& dims = c.dimensions.emplace_back();
              for (size_t i = 0; i < n; ++i) {
                  std::string name = std::to_string(i);
                  name.insert(name.begin(), 'q'); // "q" + s: a GCC 12 -Wrestrict false alarm
                  dims.push_back({ c.text(name), ZarrDimensionType_Space,
                                   uint32_t(rng.range(1, 2)), 2, 1, nullptr, 0 });
              }
              a->dimensions = dims.data();
              a->dimension_count = n;
              a->storage_dimension_order = nullptr;
          } },
        { "dimension-name",
          [](Case& c, Rng& rng) {
              if (auto* d = some_dimension(c, rng)) {
                  d->name = rng.chance(0.2) ? nullptr : c.text(nasty_name(rng));
              }
          } },
        { "dimension-type",
          [](Case& c, Rng& rng) {
              if (auto* d = some_dimension(c, rng)) {
                  set_raw(d->type, rng.chance(0.5) ? rng.range(0, 3) : rng.pick(kBadEnums));
              }
          } },
        { "size",
          [](Case& c, Rng& rng) {
              if (auto* d = some_dimension(c, rng)) {
                  uint32_t* fields[] = { &d->array_size_px, &d->chunk_size_px,
                                         &d->shard_size_chunks };
                  *fields[rng.below(3)] = rng.pick(kSizes);
              }
          } },
        { "unit-scale",
          [](Case& c, Rng& rng) {
              if (auto* d = some_dimension(c, rng)) {
                  if (rng.chance(0.5)) {
                      d->unit = rng.chance(0.2) ? nullptr : c.text(random_bytes(rng, 30));
                  } else {
                      d->scale = rng.pick(std::vector<double>{
                        0.0, -1.0, NAN, INFINITY, -INFINITY, 1e308, 5e-324, -0.0 });
                  }
              }
          } },
        { "data-type",
          [](Case& c, Rng& rng) {
              if (auto* a = some_array(c, rng)) {
                  set_raw(a->data_type, rng.pick(kBadEnums));
              }
          } },
        { "compression",
          [](Case& c, Rng& rng) {
              auto* a = some_array(c, rng);
              if (!a) {
                  return;
              }
              auto& cs = c.compressions.emplace_back();
              set_raw(cs.compressor, rng.chance(0.5) ? rng.range(0, 2) : rng.pick(kBadEnums));
              set_raw(cs.codec, rng.chance(0.5) ? rng.range(0, 3) : rng.pick(kBadEnums));
              cs.level = uint8_t(rng.below(256));
              cs.shuffle = uint8_t(rng.chance(0.5) ? rng.below(3) : rng.below(256));
              a->compression_settings = &cs;
          } },
        { "output-key",
          [](Case& c, Rng& rng) {
              if (c.arrays.empty()) {
                  return;
              }
              auto& a = c.arrays[rng.below(c.arrays.size())];
              const auto& other = c.arrays[rng.below(c.arrays.size())];
              const int choice = rng.range(0, 3);
              if (choice == 0) {
                  a.output_key = nullptr;
              } else if (choice == 1 && other.output_key) {
                  a.output_key = rng.chance(0.5) ? other.output_key
                                                 : c.text(std::string(other.output_key) + "/in");
              } else {
                  a.output_key = c.text(nasty_name(rng));
              }
          } },
        { "store-path",
          [](Case& c, Rng& rng) {
              c.store_path = rng.pick(std::vector<std::string>{
                "", ".", "..", "./", "../", "work/..", "{sandbox}/work/..", "/", "//", "/.",
                "/./", "/tmp/..", "{sandbox}/file.txt", "{sandbox}/file.txt/store.zarr",
                "{sandbox}/" + std::string(300, 'p'), "{sandbox}/caf\xc3\xa9.zarr",
                "{sandbox}/\xff\xfe.zarr", "{sandbox}/" + random_bytes(rng, 20), "NULL" });
          } },
        { "downsampling",
          [](Case& c, Rng& rng) {
              if (auto* a = some_array(c, rng)) {
                  set_raw(a->downsampling_method, rng.chance(0.6) ? rng.range(0, 4)
                                                                  : rng.pick(kBadEnums));
                  a->max_levels = rng.pick(std::vector<uint32_t>{ 0, 1, 7, UINT32_MAX });
                  a->is_ngff = rng.chance(0.5);
              }
          } },
        { "storage-order",
          [](Case& c, Rng& rng) {
              auto* a = some_array(c, rng);
              if (!a || a->dimension_count == 0) {
                  return;
              }
              auto& order = c.orders.emplace_back(a->dimension_count); // as many as dims
              for (auto& index : order) {
                  index = rng.chance(0.9) ? rng.below(a->dimension_count + 1)
                                          : std::numeric_limits<size_t>::max();
              }
              a->storage_dimension_order = order.data();
          } },
        { "plate",
          [](Case& c, Rng& rng) {
              if (c.plates.empty()) {
                  make_plate(c, rng);
              }
              ZarrHCSPlate& p = c.plates[0];
              if (!p.wells || !p.well_count || !p.wells[0].images) {
                  return; // an earlier mutation took them away
              }
              ZarrHCSWell& w = p.wells[0];
              switch (rng.range(0, 11)) {
                  case 0: p.path = rng.chance(0.3) ? nullptr : c.text(nasty_name(rng)); break;
                  case 1: p.row_names = nullptr; break;
                  case 2: c.names.back()[0] = c.text(nasty_name(rng)); break; // a column
                  case 3: w.row_name = rng.chance(0.3) ? nullptr : c.text(nasty_name(rng)); break;
                  case 4: w.images = nullptr; break;
                  case 5: w.images[0].array_settings = nullptr; break;
                  case 6: w.images[0].path = c.text(nasty_name(rng)); break;
                  case 7: {
                      auto& fov = w.images[0];
                      fov.has_acquisition_id = true;
                      fov.acquisition_id = uint32_t(rng.pick(kSizes));
                      break;
                  }
                  case 8: p.acquisitions = p.acquisition_count ? nullptr : p.acquisitions; break;
                  case 9: p.name = c.text(random_bytes(rng, 20)); break;
                  case 10: p.wells = nullptr; break;
                  default: {
                      auto& acquisitions = c.acquisitions.emplace_back(2);
                      acquisitions[0] = { 1, c.text(random_bytes(rng, 8)), nullptr, 50, true, 10, true };
                      acquisitions[1] = { 1, nullptr, nullptr, 0, false, 0, false };
                      p.acquisitions = acquisitions.data();
                      p.acquisition_count = rng.range(1, 2);
                  }
              }
          } },
        { "stream",
          [](Case& c, Rng& rng) {
              ZarrStreamSettings& s = c.settings;
              switch (rng.range(0, 3)) {
                  case 0: set_raw(s.version, rng.pick(std::vector<int>{ 0, 1, 4, -1, 1000 })); break;
                  case 1: s.max_threads = rng.pick(std::vector<unsigned>{ 0, 4096, 4097, 40000, UINT_MAX }); break;
                  case 2:
                      c.s3 = { rng.chance(0.5) ? nullptr : "http://localhost:1", "bucket", nullptr };
                      s.s3_settings = &c.s3;
                      break;
                  default: c.arrays.clear(); // no arrays (and no plate, maybe)
              }
          } },
    };
    return all;
}

/// Zero to three mutations, named in c.mutations.
inline void
mutate(Case& c, Rng& rng)
{
    const int count = rng.pick(std::vector<int>{ 0, 1, 1, 1, 2, 3 });
    for (int i = 0; i < count; ++i) {
        const auto& [name, apply] = mutations()[rng.below(mutations().size())];
        apply(c, rng);
        c.mutations.push_back(name);
    }
}

} // namespace fuzz
