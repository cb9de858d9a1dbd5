"""Imaging planes of a session: open the movie, align its clock to the DAQ, add series, masks and ROIs.

For each ``imaging_planes`` entry:

- the movie (``imaging`` source) is opened lazily; every channel it saved (or those ``channels`` lists)
  becomes a streamed TwoPhotonSeries (:mod:`nwbtms.nwb.imaging`) named by the channel when there are
  several (``TwoPhotonSeries_Ch2``), all on the one ImagingPlane (one OpticalChannel each) and sharing the
  first one's timestamps; the summary names every series written and every channel or fast-z plane left
  out; the plane's compression profile applies (``--profile`` overrides);
- its clock is aligned to the session (DAQ) clock through the shared signal named by ``clock``:
  ``frame_clock`` matches the movie's frame timestamps to the frame-clock edges on the DAQ
  (``frame_clock_channel`` of the pulse DAQ), ``aux_trigger`` matches the TMS trigger edges the imaging
  system recorded (``auxTrigger0``) to the TTL pulses; the fit is stored as ``TMSClockAlignment``;
- frames overlapping a pulse plus its artifact window get a ``TMSArtifactMask``;
- the segmentation (``segmentation`` source, Suite2p) becomes ROIs with kinds, parents, stable keys and
  cell types (``roi_labels`` per ROI, else the plane's ``cell_type`` rule).
"""

from __future__ import annotations

import re

import numpy as np

from nwbtms.errors import MetadataError, SourceError
from nwbtms.metadata.model import Session


def _device_times(source) -> np.ndarray:
    times = getattr(source, "timestamps_s", None)
    if times is not None:
        return np.asarray(times, dtype=np.float64)
    return np.arange(source.num_frames, dtype=np.float64) / float(source.frame_rate_hz)


def fit_plane_clock(session: Session, key: str, plane: dict, source, stimulation):
    """The ClockFit of plane ``key`` onto the session clock, or None with ``clock: none``."""
    from nwbtms.imaging.clock import fit_clock

    mode = plane.get("clock", "frame_clock")
    if mode == "none":
        return None, None
    if stimulation is None:
        raise MetadataError(f"imaging plane {key!r} aligns its clock by {mode} but the session has no "
                            "'stimulation' section with a DAQ", file=session.metadata_file,
                            field=f"/imaging_planes/{key}/clock", hint="set clock: none or add stimulation")
    if mode == "frame_clock":
        if stimulation.frame_clock_s is None or stimulation.frame_clock_s.size < 2:
            raise MetadataError(f"imaging plane {key!r} aligns by frame_clock but the pulse DAQ names no "
                                "frame_clock_channel (or it has no edges)", file=session.metadata_file,
                                field=f"/imaging_planes/{key}/clock",
                                hint="add options.frame_clock_channel to the DAQ source, "
                                     "or use clock: aux_trigger")
        fit = fit_clock(_device_times(source), stimulation.frame_clock_s)
        return fit, "imaging frame clock recorded on the DAQ"
    aux = (getattr(source, "aux_triggers", None) or {})
    edges = next((np.asarray(v, dtype=np.float64) for v in aux.values() if np.size(v) >= 2), None)
    if edges is None:
        raise SourceError(f"imaging plane {key!r} aligns by aux_trigger but the movie recorded no aux "
                          "trigger edges", file=session.sources[plane["imaging"]].path,
                          field="auxTrigger0..3",
                          hint="use clock: frame_clock with a frame clock channel on the DAQ")
    fit = fit_clock(edges, stimulation.times_s)
    return fit, "TMS trigger on the imaging system's aux input"


def add_imaging_planes(session: Session, nwbfile, assembled, *, stimulation, metadata, cell_type_rows: dict,
                       compression: str | None, quiet: bool) -> None:
    """Add every imaging plane of ``session`` to ``nwbfile``; pending movies go to ``assembled.movies``."""
    from ndx_tms import find_tms_tables

    from nwbtms.imaging.artifacts import build_artifact_mask
    from nwbtms.imaging.clock import build_clock_alignment
    from nwbtms.nwb.imaging import add_imaging_plane, add_two_photon_series

    planes = session.section("imaging_planes")
    pulses = find_tms_tables(nwbfile)["pulses"]  # in nwbfile.events (ndx-tms 0.2)
    # not ``get(...) or create``: an empty ProcessingModule is falsy (it has a length)
    ophys = nwbfile.processing["ophys"] if "ophys" in nwbfile.processing else nwbfile.create_processing_module(
        name="ophys", description="Optical physiology: segmentation, TMS artifact masks, clock alignment.")
    for key, plane in planes.items():
        if plane.get("volume"):
            assembled.num_rois += _add_volume_plane(session, key, plane, nwbfile, assembled, metadata,
                                                    compression=compression)
            continue
        movie_source = session.sources[plane["imaging"]]
        source = _open_movie(session, plane["imaging"], movie_source)
        if plane.get("grid_spacing_um") and getattr(source, "pixel_size_um", None) is None:
            source.pixel_size_um = tuple(float(v) for v in plane["grid_spacing_um"][:2])
        fit, shared_signal = fit_plane_clock(session, key, plane, source, stimulation)
        channels = selected_channels(session, key, plane, source)
        channel = plane.get("optical_channel") or {}
        per_channel = dict(plane.get("optical_channels") or {})
        optical = None
        if len(channels) > 1 and channel and not per_channel:
            if channel.get("name") in channels:  # optical_channel names the movie channel it describes
                per_channel[channel["name"]] = channel
            assembled.notes.append(
                f"imaging plane {key!r}: optical_channel describes one channel but {len(channels)} are converted"
                f"{'' if channel.get('name') in channels else ' (its name matches none, so it was not used)'}; "
                "give optical_channels per channel name for the others' emission wavelengths")
        if len(channels) > 1 or per_channel:
            optical = [(name, per_channel.get(name, {}).get("description", f"channel {name} of the movie"),
                        float(per_channel.get(name, {}).get("emission_lambda_nm", np.nan))) for name in channels]
        imaging_plane = add_imaging_plane(
            nwbfile, source, name=f"ImagingPlane_{key}" if len(planes) > 1 else "ImagingPlane",
            device=nwbfile.devices[plane["device"]], description=plane["description"],
            indicator=plane["indicator"], location=plane["location"],
            excitation_lambda_nm=float(plane["excitation_lambda_nm"]),
            emission_lambda_nm=float(channel.get("emission_lambda_nm", np.nan)),
            channel_name=channel.get("name", "channel0"), channel_description=channel.get("description", ""),
            optical_channels=optical,
        )
        base_name = f"TwoPhotonSeries_{key}" if len(planes) > 1 else "TwoPhotonSeries"
        written = []
        for name in channels:
            series_name = base_name if len(channels) == 1 else f"{base_name}_{_safe_name(name)}"
            pending = add_two_photon_series(
                nwbfile, source, imaging_plane=imaging_plane, name=series_name, channel=name,
                profile=compression or plane.get("compression", "archive"), clock_fit=fit,
                description=f"{plane['description']} Raw movie ({movie_source.path.name}), channel {name}; "
                            "frame times on the session (DAQ) clock.",
                timing_from=written[0].series if written else None, header_table=f"{base_name}_raw_header",
            )
            assembled.movies.append(pending)
            written.append(pending)
            if pending.profile.reader_note:
                assembled.notes.append(pending.profile.reader_note)
        assembled.num_frames += int(source.num_frames)
        assembled.notes.extend(movie_notes(key, source, channels, [p.series.name for p in written]))
        pending = written[0]
        if fit is not None:
            assembled.notes.append(f"imaging plane {key!r} clock ({shared_signal}): {fit.describe()}")
            ophys.add(build_clock_alignment(
                fit, name=f"{series_name}_clock_alignment", aligned_clock=f"{movie_source.reader} ({key})",
                reference_clock=f"DAQ '{session.stimulation.pulses_from}' (session clock)",
                shared_signal=shared_signal))
        if stimulation is not None and len(stimulation):
            for movie in written:
                ophys.add(build_artifact_mask(movie.series, stimulation.times_s,
                                              session.stimulation.artifact_window_s, pulses=pulses))
        if plane.get("segmentation"):
            assembled.num_rois += _add_segmentation(session, key, plane, nwbfile, ophys, imaging_plane,
                                                    pending.series, metadata, cell_type_rows,
                                                    arrays=assembled.arrays)
        if plane.get("annotations"):
            pixel = getattr(source, "pixel_size_um", None)
            assembled.num_rois += _add_annotations(session, key, plane, nwbfile, imaging_plane, pending.series,
                                                   metadata, assembled, pixel_size_um=pixel, z_step_um=None)


def _add_volume_plane(session: Session, key: str, plane: dict, nwbfile, assembled, metadata, *,
                      compression: str | None) -> int:
    """A structural z-stack as one volume (streamed slice by slice) and its annotations; returns the ROI count.

    The stack needs no clock alignment: it is one sample at the session start. Channel: the plane's first
    ``channels`` entry, else the stack's first channel.
    """
    from nwbtms.nwb.imaging import add_imaging_plane, add_volume_series
    from nwbtms.sources.imaging.zstack import open_zstack

    stack_source = session.sources[plane["imaging"]]
    options = dict(stack_source.options)
    if plane.get("z_step_um"):
        options.setdefault("z_step_um", float(plane["z_step_um"]))
    if plane.get("grid_spacing_um"):
        options.setdefault("pixel_size_um", tuple(float(v) for v in plane["grid_spacing_um"][:2]))
    stack = open_zstack(stack_source.path, format=stack_source.reader, **options)
    channels = plane.get("channels") or [stack.source.channels[0]]
    channel = plane.get("optical_channel") or {}
    planes = session.section("imaging_planes")
    imaging_plane = add_imaging_plane(
        nwbfile, stack.source, name=f"ImagingPlane_{key}" if len(planes) > 1 else "ImagingPlane",
        device=nwbfile.devices[plane["device"]], description=plane["description"], indicator=plane["indicator"],
        location=plane["location"], excitation_lambda_nm=float(plane["excitation_lambda_nm"]),
        emission_lambda_nm=float(channel.get("emission_lambda_nm", np.nan)),
        channel_name=channel.get("name", "channel0"), channel_description=channel.get("description", ""),
        z_step_um=stack.z_step_um,
    )
    pending = add_volume_series(
        nwbfile, stack, imaging_plane=imaging_plane,
        name=f"TwoPhotonVolume_{key}" if len(planes) > 1 else "TwoPhotonVolume", channel=channels[0],
        profile=compression or plane.get("compression", "archive"),
        description=f"{plane['description']} Structural z-stack ({stack_source.path.name}), channel {channels[0]}.",
    )
    assembled.movies.append(pending)
    assembled.notes.append(f"imaging plane {key!r}: volume {pending.series.name} of {stack.num_slices} slices "
                           f"{stack.z_step_um:g} um apart, channel {channels[0]} of {len(stack.source.channels)}")
    if not plane.get("annotations"):
        return 0
    return _add_annotations(session, key, plane, nwbfile, imaging_plane, pending.series, metadata, assembled,
                            pixel_size_um=stack.pixel_size_um, z_step_um=stack.z_step_um)


def _add_annotations(session: Session, key: str, plane: dict, nwbfile, imaging_plane, series, metadata, assembled,
                     *, pixel_size_um, z_step_um) -> int:
    """Hand annotations of plane ``key`` as a PlaneSegmentation linked to ``series``; returns the ROI count.

    ImageJ pixel coordinates become µm with the source's ``pixel_size_um``/``z_step_um`` options, else the
    volume's; the plane's ``cell_type`` labels every ROI the file leaves without one.
    """
    from nwbtms.nwb.segmentation import add_annotation_segmentation
    from nwbtms.sources.annotations import open_annotations

    source = session.sources[plane["annotations"]]
    options = dict(source.options)
    if source.reader == "imagej_rois":
        if pixel_size_um is not None:
            options.setdefault("pixel_size_um", tuple(pixel_size_um))
        if z_step_um is not None:
            options.setdefault("z_step_um", float(z_step_um))
    annotations = open_annotations(source.path, reader=source.reader, **options)
    rule = session.section("cell_types")[plane["cell_type"]]["label"] if plane.get("cell_type") else None
    row_um, col_um = (1.0, 1.0) if pixel_size_um is None else (float(pixel_size_um[0]), float(pixel_size_um[1]))
    planes = session.section("imaging_planes")
    result = add_annotation_segmentation(
        nwbfile, annotations, imaging_plane=imaging_plane, volume=series,
        voxel_size_um=(row_um, col_um, float(z_step_um or 1.0)), cell_types=metadata.cell_types, cell_type=rule,
        name=f"PlaneSegmentation_{key}_annotations" if len(planes) > 1 else "PlaneSegmentation_annotations",
    )
    kinds = {k: sum(a.kind == k for a in annotations.annotations) for k in ("soma", "dendrite", "spine")}
    assembled.notes.append(f"imaging plane {key!r}: {len(annotations)} annotated ROI(s) from {source.path.name} "
                           f"({', '.join(f'{n} {k}' for k, n in kinds.items() if n)})")
    if result.missing_parents:
        assembled.notes.append(f"imaging plane {key!r}: {len(result.missing_parents)} ROI(s) name a parent not "
                               f"annotated in this session (first: {result.missing_parents[0]}); kept with "
                               "parent_roi -1 and their parent_key")
    return len(result.plane_segmentation)


def selected_channels(session: Session, key: str, plane: dict, source) -> list[str]:
    """Names of the movie channels plane ``key`` converts: its ``channels`` list, else every saved channel."""
    available = [str(c) for c in source.channels]
    wanted = plane.get("channels")
    if not wanted:
        return available
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise MetadataError(f"imaging plane {key!r} selects channel(s) {unknown} that the movie does not have; "
                            f"it saved {available}", file=session.metadata_file,
                            field=f"/imaging_planes/{key}/channels",
                            hint="use the channel names 'nwbtms inspect' lists for the movie")
    return list(wanted)


def movie_notes(key: str, source, channels: list[str], series_names: list[str]) -> list[str]:
    """Summary lines: the series written for plane ``key`` and what of the movie was left out."""
    notes = [f"imaging plane {key!r}: wrote {', '.join(series_names)} (channel(s) {', '.join(channels)} of "
             f"{len(source.channels)})"]
    left_out = [str(c) for c in source.channels if str(c) not in channels]
    if left_out:
        notes.append(f"imaging plane {key!r}: channel(s) {', '.join(left_out)} NOT converted (not listed in "
                     f"imaging_planes.{key}.channels)")
    planes = int(getattr(source, "num_planes", 1) or 1)
    if planes > 1:
        notes.append(f"imaging plane {key!r}: the movie has {planes} fast-z planes; only plane 0 was converted")
    return notes


def _safe_name(channel: str) -> str:
    """A channel name usable in an NWB object name (letters, digits, ``_``)."""
    return re.sub(r"[^A-Za-z0-9_]+", "_", channel).strip("_") or "channel"


def _add_segmentation(session, key, plane, nwbfile, ophys, imaging_plane, series, metadata,
                      cell_type_rows, arrays: list | None = None) -> int:
    """ROIs of the plane's Suite2p folder with kinds, parents, keys and cell types; returns the ROI count.

    Cell types: the ``roi_labels`` file gives them per ROI (as the cell type's ``label``, e.g. ``IT``); the
    plane's ``cell_type`` key is the rule for every ROI the file leaves without one.
    """
    from nwbtms.assembly.segmentation import add_suite2p_plane
    from nwbtms.sources.segmentation import read_suite2p
    from nwbtms.sources.segmentation.roi_labels import load_roi_labels, roi_label_rule

    segmentation = session.sources[plane["segmentation"]]
    suite2p = read_suite2p(segmentation.path)
    if isinstance(suite2p, list):
        if len(suite2p) != 1:
            raise MetadataError(f"segmentation {plane['segmentation']!r} holds {len(suite2p)} planes; point the "
                                "source at one plane<N> folder per imaging plane", file=session.metadata_file,
                                field=f"/sources/{plane['segmentation']}/path")
        suite2p = suite2p[0]
    rule_label = None
    if plane.get("cell_type"):
        rule_label = session.section("cell_types")[plane["cell_type"]]["label"]
    if plane.get("roi_labels"):
        labels = load_roi_labels(session.sources[plane["roi_labels"]].path)
        if labels.default_cell_type is None:
            labels.default_cell_type = rule_label
    else:
        labels = roi_label_rule(cell_type=rule_label)
    planes = session.section("imaging_planes")
    result = add_suite2p_plane(
        nwbfile, suite2p, imaging_plane=imaging_plane, labels=labels, cell_types=metadata.cell_types,
        series=series, name_suffix=f"_{key}" if len(planes) > 1 else "", pending=arrays,
    )
    return len(result.plane_segmentation)


def _open_movie(session: Session, key: str, movie_source):
    """``open_imaging`` of a movie source; a file its reader cannot take (an empty file, another program's TIFF
    named like a ScanImage one, a plain TIFF without its rate) is reported at the metadata line that chose it."""
    from nwbtms.errors import InputError
    from nwbtms.sources.imaging import open_imaging

    try:
        return open_imaging(movie_source.path, format=movie_source.reader, **movie_source.options)
    except InputError as exc:
        if exc.field == "frame_rate_hz":
            raise session.error(f"source {key!r} ({movie_source.path.name}): {exc.message}",
                                f"/sources/{key}/options",
                                hint="a plain TIFF needs its rate: options: {frame_rate_hz: <frames per second>}"
                                ) from None
        if exc.message.startswith("not a ScanImage"):
            raise session.error(f"source {key!r} ({movie_source.path.name}): {exc.message}",
                                f"/sources/{key}/reader",
                                hint="for another program's TIFF set reader: tiff and options: "
                                     "{frame_rate_hz: <frames per second>}") from None
        raise
