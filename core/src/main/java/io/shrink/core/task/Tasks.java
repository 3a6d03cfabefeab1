package io.shrink.core.task;

import io.shrink.core.ShrinkException;
import io.shrink.core.data.GlueTask;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The registry of tasks, found by name: the nine GLUE tasks, IMDb and SQuAD v1.1, plus any {@link Task} a jar on
 * the class path lists in {@code META-INF/services/io.shrink.core.task.Task} (one line per task class). Names are
 * matched in any case and without hyphens, so a GLUE task is also found by its directory name ({@code SST-2}).
 */
public final class Tasks {
    /** The name that stands for every GLUE task found in the data directory (evaluation only). */
    public static final String GLUE_SUITE = "glue";

    private static final Map<String, Task> BY_NAME = index();

    private Tasks() {
    }

    private static Map<String, Task> index() {
        List<Task> all = new ArrayList<>();
        GlueTask.ALL.forEach(g -> all.add(new GlueTsvTask(g)));
        all.add(new ImdbTask());
        all.add(new SquadV1Task());
        ServiceLoader.load(Task.class).forEach(all::add);
        Map<String, Task> map = new LinkedHashMap<>();
        for (Task t : all) {
            if (map.putIfAbsent(key(t.name()), t) != null) {
                throw new IllegalStateException("two tasks are called '" + t.name() + "'");
            }
        }
        return map;
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT).replace("-", "");
    }

    /** Every task, GLUE first (in the GLUE paper's order), then IMDb, SQuAD and tasks found on the class path. */
    public static List<Task> all() {
        return List.copyOf(BY_NAME.values());
    }

    /** Every task's name, in {@link #all()} order. */
    public static List<String> names() {
        return all().stream().map(Task::name).toList();
    }

    /** The task called {@code name}, in any case; a GLUE task also by its directory name. */
    public static Optional<Task> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_NAME.get(key(name)));
    }

    /** Like {@link #find}, but a usage error listing the known tasks when there is none. */
    public static Task of(String name) {
        return find(name).orElseThrow(() -> ShrinkException.usage("unknown task '" + name + "'; known tasks: "
                + String.join(", ", names())));
    }

    /** The GLUE tasks, in the GLUE paper's order. */
    public static List<GlueTsvTask> glue() {
        return all().stream().filter(GlueTsvTask.class::isInstance).map(GlueTsvTask.class::cast).toList();
    }
}
