package io.shrink.commands;

import io.shrink.core.task.Tasks;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** The task registry's names, for {@code --task} help and completion. */
final class TaskNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Tasks.names().iterator();
    }

    /** The task names plus {@code glue}, every GLUE task at once (evaluate). */
    static final class WithSuites implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            List<String> names = new ArrayList<>();
            names.add(Tasks.GLUE_SUITE);
            names.addAll(Tasks.names());
            return names.iterator();
        }
    }

    /** The task names plus {@code general}, distillation on raw text (distill). */
    static final class WithGeneral implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            List<String> names = new ArrayList<>(Tasks.names());
            names.add("general");
            return names.iterator();
        }
    }
}
