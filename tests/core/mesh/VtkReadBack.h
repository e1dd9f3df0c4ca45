#pragma once
// Test helpers that read exported meshes back with VTK's own readers (as other tools would) and
// check them with VTK filters, independently of our writer and our area/volume code.
#include <filesystem>

#include <vtkCleanPolyData.h>
#include <vtkFeatureEdges.h>
#include <vtkMassProperties.h>
#include <vtkOBJReader.h>
#include <vtkPLYReader.h>
#include <vtkPolyData.h>
#include <vtkSTLReader.h>
#include <vtkSmartPointer.h>
#include <vtkTriangleFilter.h>

namespace mitoseg::test {

/// Reads .stl/.ply/.obj with vtkSTLReader/vtkPLYReader/vtkOBJReader; nullptr on a failed read.
inline vtkSmartPointer<vtkPolyData> readMeshWithVtk(const std::filesystem::path& path)
{
    const std::string ext = path.extension().string();
    vtkSmartPointer<vtkPolyData> out;
    if (ext == ".stl") {
        auto r = vtkSmartPointer<vtkSTLReader>::New();
        r->SetFileName(path.c_str());
        r->Update();
        out = r->GetOutput();
    } else if (ext == ".ply") {
        auto r = vtkSmartPointer<vtkPLYReader>::New();
        r->SetFileName(path.c_str());
        r->Update();
        out = r->GetOutput();
    } else if (ext == ".obj") {
        auto r = vtkSmartPointer<vtkOBJReader>::New();
        r->SetFileName(path.c_str());
        r->Update();
        out = r->GetOutput();
    }
    return out;
}

/// Boundary plus non-manifold edges after merging coincident points (0 for a closed surface).
inline vtkIdType openEdges(vtkPolyData* poly)
{
    auto clean = vtkSmartPointer<vtkCleanPolyData>::New();
    clean->SetInputData(poly);
    auto fe = vtkSmartPointer<vtkFeatureEdges>::New();
    fe->SetInputConnection(clean->GetOutputPort());
    fe->BoundaryEdgesOn();
    fe->NonManifoldEdgesOn();
    fe->FeatureEdgesOff();
    fe->ManifoldEdgesOff();
    fe->Update();
    return fe->GetOutput()->GetNumberOfCells();
}

/// vtkMassProperties volume of a closed triangle mesh.
inline double vtkVolume(vtkPolyData* poly)
{
    auto tri = vtkSmartPointer<vtkTriangleFilter>::New();
    tri->SetInputData(poly);
    auto mp = vtkSmartPointer<vtkMassProperties>::New();
    mp->SetInputConnection(tri->GetOutputPort());
    mp->Update();
    return mp->GetVolume();
}

/// vtkMassProperties surface area.
inline double vtkArea(vtkPolyData* poly)
{
    auto tri = vtkSmartPointer<vtkTriangleFilter>::New();
    tri->SetInputData(poly);
    auto mp = vtkSmartPointer<vtkMassProperties>::New();
    mp->SetInputConnection(tri->GetOutputPort());
    mp->Update();
    return mp->GetSurfaceArea();
}

}  // namespace mitoseg::test
