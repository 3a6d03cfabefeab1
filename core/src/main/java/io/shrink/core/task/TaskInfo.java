package io.shrink.core.task;

import io.shrink.core.data.DataDirs;

/**
 * What identifies a task and sets its defaults, the part of {@link Task} every task spells out the same way.
 *
 * @param name             the short lower-case name users type
 * @param version          the version of the task's data handling and scoring
 * @param kind             the task's shape
 * @param dataKind         which data directory holds its files
 * @param defaultMaxLength the longest input in tokens when the user gives none
 */
public record TaskInfo(String name, int version, TaskKind kind, DataDirs.Kind dataKind, int defaultMaxLength) {
}
