#include "app/cli.h"

int main(int argc, char** argv) { return posthouse::app::run_cli(argc, argv); }
