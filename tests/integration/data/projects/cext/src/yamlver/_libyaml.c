/* The version string of the libyaml this module is linked against. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <yaml.h>

static PyObject *version(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(yaml_get_version_string());
}

static PyMethodDef methods[] = {
    {"version", version, METH_NOARGS, "The linked libyaml's version."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_libyaml", NULL, -1, methods};

PyMODINIT_FUNC PyInit__libyaml(void) { return PyModule_Create(&module); }
