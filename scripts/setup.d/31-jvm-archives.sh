#!/usr/bin/env bash
# Class data sharing archives for the JVM tools the catalogue starts on every submission (javac, the
# Scala and Kotlin compilers, Groovy): each archive holds the classes one real compile or run loaded,
# already parsed and verified, so later JVMs map them instead of loading them from the jars. Measured
# on 2 cores: javac 931 -> 623 ms, scalac 6351 -> 1870 ms, kotlinc 6412 -> 3521 ms, a Groovy script
# 1246 -> 659 ms.
#
# The catalogue names these files with -XX:SharedArchiveFile and turns CDS logging off: a JVM that
# finds an archive missing or stale (a jar or the JDK upgraded since) runs as before, silently. An
# archive is made again here whenever the java binary or one of its jars is newer than it.
set -euo pipefail
dir=/usr/local/lib/remcode/cds
java=$(readlink -f /usr/bin/java 2>/dev/null || true)
if [[ -z $java || ! -x $java ]]; then
  echo "    no java: JVM archives skipped"
  exit 0
fi
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The flags every JVM of the catalogue runs with; an archive is only used under the same ones.
jvm=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1)

stale() {
  local archive=$1
  shift
  [[ -s $archive && ! $java -nt $archive ]] || return 0
  for file in "$@"; do [[ $file -nt $archive ]] && return 0; done
  return 1
}

archive() {
  local name=$1
  shift
  local target="$dir/$name.jsa"
  rm -f "$target"
  if (cd "$work" && "$@" >/dev/null 2>&1) && [[ -s $target ]]; then
    chmod 0444 "$target"
    echo "    JVM archive: $target ($(du -k "$target" | cut -f1) KiB)"
  else
    rm -f "$target"
    echo "    JVM archive $name could not be made; $name starts without it" >&2
  fi
}

if command -v javac >/dev/null && stale "$dir/javac.jsa"; then
  printf 'public class Main { public static void main(String[] args) { System.out.println("ready"); } }\n' \
    >"$work/Main.java"
  archive javac javac "${jvm[@]/#/-J}" "-J-XX:ArchiveClassesAtExit=$dir/javac.jsa" -encoding UTF-8 -d . Main.java
fi

scala_cp=/usr/share/java/scala-compiler.jar:/usr/share/java/scala-library.jar:/usr/share/java/scala-reflect.jar
if [[ -f /usr/share/java/scala-compiler.jar ]] && stale "$dir/scalac.jsa" ${scala_cp//:/ }; then
  printf 'object Main { def main(args: Array[String]): Unit = println("ready") }\n' >"$work/main.scala"
  archive scalac java "${jvm[@]}" "-XX:ArchiveClassesAtExit=$dir/scalac.jsa" -Xss16m -Dscala.usejavacp=true \
    -cp "$scala_cp" scala.tools.nsc.Main -d . main.scala
fi

if [[ -f /usr/share/java/groovy-all.jar ]] && stale "$dir/groovy.jsa" /usr/share/java/groovy-all.jar; then
  printf 'println "ready"\n' >"$work/main.groovy"
  archive groovy java "${jvm[@]}" "-XX:ArchiveClassesAtExit=$dir/groovy.jsa" -Xss64m \
    -cp /usr/share/java/groovy-all.jar groovy.ui.GroovyMain main.groovy
fi

kotlin=/usr/share/kotlin/kotlinc
if [[ -f $kotlin/lib/kotlin-compiler.jar ]] && stale "$dir/kotlinc.jsa" "$kotlin/lib/kotlin-compiler.jar"; then
  printf 'fun main() {\n    println("ready")\n}\n' >"$work/main.kt"
  archive kotlinc java "${jvm[@]}" "-XX:ArchiveClassesAtExit=$dir/kotlinc.jsa" -Xss16m "-Dkotlin.home=$kotlin" \
    -cp "$kotlin/lib/kotlin-preloader.jar" org.jetbrains.kotlin.preloading.Preloader \
    -cp "$kotlin/lib/kotlin-compiler.jar" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler -no-reflect -d . main.kt
fi
