/* cli_commands.h: the table of `filmrestore` subcommands (an X-macro).
 *
 * Each row is FR_COMMAND(name, help). The function behind it is
 * `int fr_cmd_<name>(int argc, char **argv)`, in cli/cmd_<name>.c,
 * where argv[0] is the subcommand's name; it returns a process exit code.
 * Add a row here and the file beside it to add a command. */
FR_COMMAND(probe, "print a JSON description of a media file's streams")
FR_COMMAND(run, "colourise a film and re-mux it with its original audio")
FR_COMMAND(smooth_chroma, "(internal) smooth one shot's raw chroma along motion; for tools and tests")
FR_COMMAND(shots, "list a film's shots (cuts, dissolves, fades) as CSV, JSON, PySceneDetect or EDL")
FR_COMMAND(render_gray, "(internal) each frame as the generator sees it, as raw bytes; for tests and tools")
FR_COMMAND(engine_forward, "(internal) run the generator network on raw float32 frames; for tests and benches")
FR_COMMAND(bench_generator, "(internal) frames per second of a generator on synthetic gray frames; for bench/")
FR_COMMAND(colorize_image, "colourise still images: DeOldify pre- and post-processing, original luma kept")
FR_COMMAND(submit, "queue a job on the job service (filmrestored): SPEC.json, or run's flags")
FR_COMMAND(status, "a queued job's status as JSON (state, stage, frames, fps, ETA, log)")
FR_COMMAND(list, "the job service's jobs, one line each")
FR_COMMAND(watch, "a job's live progress until it ends; exits with the job's outcome")
FR_COMMAND(cancel, "cancel a job; a running job's store stays resumable")
FR_COMMAND(references, "export one gray frame per shot for a colourist to paint (references export IN --every-shot DIR)")
FR_COMMAND(verify, "re-decode an output and check every frame against its OUTPUT.framemd5 sidecar")
