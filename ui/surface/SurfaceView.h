#pragma once
// A Qt 6 OpenGL widget that renders object surfaces with VTK. It hosts a
// vtkGenericOpenGLRenderWindow inside a QOpenGLWidget (as VTK's own Qt 5 widget does): VTK renders
// into its framebuffer during paintGL and the result is blitted into the widget's framebuffer.
// Mouse: left drag rotates, middle drag (or shift+left) pans, right drag / wheel zooms, a left
// click picks an object, a double click resets the view. GUI thread only; VTK types stay in the .cpp.
#include <QColor>
#include <QOpenGLWidget>

#include <cstdint>
#include <memory>

#include "core/base/Volume.h"
#include "core/mesh/SurfaceMesh.h"

namespace mitoseg::ui {

/// A mesh already converted to VTK (points, triangles, per-triangle object ids, normals).
/// Opaque here; built by prepareSurface.
struct PreparedSurface;

/// Converts `mesh` for display (VTK arrays and point normals). Thread-safe and meant for worker
/// threads: it touches no widget and no shared VTK object. `objectCount` is the highest object id.
std::shared_ptr<PreparedSurface> prepareSurface(const SurfaceMesh& mesh, std::uint32_t objectCount);

/// Requests the OpenGL 3.2 core profile VTK needs as Qt's default surface format. The studio's
/// main() (and any test or tool showing a SurfaceView) must call this BEFORE constructing
/// QApplication.
void setDefaultSurfaceFormat();

class SurfaceView : public QOpenGLWidget {
    Q_OBJECT
public:
    explicit SurfaceView(QWidget* parent = nullptr);
    ~SurfaceView() override;

    /// Shows `surface` (replacing what was shown). `shape`/`spacing` give the volume's extent,
    /// used for the slice plane. The camera is reset when `resetCamera` is set.
    void setSurface(std::shared_ptr<PreparedSurface> surface, const Shape& shape, const Spacing& spacing,
                    bool resetCamera = true);
    /// Removes every surface.
    void clear();
    /// Highlights object `id` (0: none).
    void setSelectedObject(std::uint32_t id);
    std::uint32_t selectedObject() const;
    /// Moves the semi-transparent slice plane to slice `z` (voxel index) and shows it.
    void setSlice(int z);
    /// Shows or hides the slice plane.
    void setSliceVisible(bool visible);
    /// Frames every object: oblique view, stack's y axis pointing down as in the slice view.
    void resetCamera();
    /// Object under widget position `pos` (logical pixels), 0 when none. Ray-cast, no rendering.
    std::uint32_t objectAt(const QPoint& pos);
    /// Display colour of object `id` (the same palette as the measurement table).
    static QColor objectColor(std::uint32_t id);

Q_SIGNALS:
    /// The user clicked on object `id` (0: clicked on the background).
    void objectSelected(std::uint32_t id);

protected:
    void initializeGL() override;
    void resizeGL(int w, int h) override;
    void paintGL() override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;

private:
    void releaseGraphics();
    void updateColors();
    void updateSlicePlane();

    struct Impl;
    std::unique_ptr<Impl> d_;
};

}  // namespace mitoseg::ui
