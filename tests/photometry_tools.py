"""A photometry day for tests: TMS pulses plus one IT fiber recorded by pyPhotometry, built by the nwbtms
photometry builders and written by the nwbtms writer (the builder, response and study page tests use it)."""

from __future__ import annotations

from pathlib import Path

#: The artefact window of the photometry days written by :func:`write_photometry_day`.
PHOTOMETRY_WINDOW = (-0.001, 0.025)


def _photometry_entries():
    from nwbtms.nwb.entries import (
        FiberEntry,
        FiberModelEntry,
        IndicatorEntry,
        PhotodetectorEntry,
        PhotometryChannelEntry,
        PhotometryEntries,
    )

    model = FiberModelEntry(name="MFC_200", manufacturer="Doric Lenses", numerical_aperture=0.57,
                            core_diameter_in_um=200.0)
    fiber = FiberEntry(key="mos_it", location="MOs layer 5", indicator="gcamp8m", cell_type="IT",
                       coordinates_in_mm=(1.9, -0.4, -0.6), model=model,
                       channels=(PhotometryChannelEntry("analog_1", 470, 525),
                                 PhotometryChannelEntry("analog_2", 405, 525)))
    return PhotometryEntries(
        indicators=(IndicatorEntry(key="gcamp8m", label="GCaMP8m", description="jGCaMP8m"),),
        fibers=(fiber,),
        photodetector=PhotodetectorEntry(description="Femtowatt photoreceiver", manufacturer="Newport", model="2151"),
    )


def write_photometry_day(path: Path, nwbfile, *, n_pulses: int, with_raw: bool = False):
    """Write ``nwbfile`` (with TMS pulses) plus one IT fiber's 470 and 405 nm signals recorded by pyPhotometry
    (a response after each of its first ``n_pulses`` pulses), built by the nwbtms photometry builders, with
    their artifact masks (and the raw LED streams when ``with_raw``); returns the pulse times used."""
    import numpy as np

    from nwbtms.io.nwb_write import write_nwbfile
    from nwbtms.nwb.deferred import fill_arrays
    from nwbtms.nwb.photometry import (
        StreamData,
        add_response_series,
        build_fiber_photometry,
        build_photometry_artifact_mask,
        raw_rows,
        signal_series_name,
    )
    from nwbtms.sources.photometry.pyphotometry import read_ppd
    from nwbtms.sources.photometry.testing import write_ppd

    def stream_data(stream) -> StreamData:
        return StreamData(name=stream.name, kind=stream.kind, num_samples=stream.num_samples, unit=stream.unit,
                          description=stream.description, read=stream.read, starting_time_s=0.0,
                          rate_hz=stream.rate_hz, source=str(ppd))

    entries = _photometry_entries()
    pulses = nwbfile.events["tms_pulses"]
    times = np.asarray(pulses["timestamp"].data)[:n_pulses]
    ppd = write_ppd(path.parent / f"{path.stem}.ppd", duration_s=float(times[-1]) + 5.0, pulse_times_s=times,
                    response_amplitude_v=0.01, artifact_window_s=PHOTOMETRY_WINDOW)
    recording = read_ppd(ppd)
    try:
        meta, rows = build_fiber_photometry(entries, nwbfile)
        table = meta.fiber_photometry_table
        pending: list = []
        ophys = nwbfile.create_processing_module(name="ophys", description="artifact masks")
        for fiber in entries.fibers:
            for channel in fiber.channels:
                data = stream_data(recording.stream(channel.stream))
                series = add_response_series(nwbfile, table, data, [rows[(fiber.key, channel.stream)]],
                                             name=signal_series_name(fiber.key, channel.excitation_wavelength_in_nm),
                                             pending=pending)
                ophys.add(build_photometry_artifact_mask(series, data, times, PHOTOMETRY_WINDOW, pulses=pulses,
                                                         pending=pending))
        if with_raw:
            for raw in recording.of_kind("raw"):
                add_response_series(nwbfile, table, stream_data(raw), raw_rows(raw.name, rows),
                                    name=f"photometry_raw_{raw.name}", pending=pending)
        write_nwbfile(nwbfile, path, overwrite=True, after_write=lambda: fill_arrays(pending))
    finally:
        recording.close()
        ppd.unlink()
    return times
